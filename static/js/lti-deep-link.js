// Send the deep-linking answer back to the platform at once; without JavaScript the
// "Return to your course" button does the same.
(function () {
  var form = document.getElementById("lti-deep-link-response");
  if (form) { form.submit(); }
})();
