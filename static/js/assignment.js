// Progressive enhancement for the assignment page: a live word count and draft autosave.
// Without JavaScript the page works the same through its "Save draft" button.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var body = form.querySelector("textarea[name=body]");
  var counter = form.querySelector("[data-word-count]");
  var savedAt = form.querySelector("[data-saved-at]");
  var timer = null;
  var lastSent = body.value;

  function countWords(text) {
    var words = text.trim().split(/\s+/);
    return text.trim() ? words.length : 0;
  }

  function save() {
    if (body.value === lastSent) return;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("body", body.value);
    data.append("action", "save");
    data.append("attempt", form.querySelector("[name=attempt]").value);
    var sending = body.value;
    // getAttribute: the submit buttons are named "action", which shadows form.action.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
      .then(function (result) {
        lastSent = sending;
        if (savedAt) {
          savedAt.textContent = "· draft saved at " + new Date(result.saved_at).toLocaleTimeString();
        }
      })
      .catch(function () {
        if (savedAt) savedAt.textContent = "· not saved yet: use Save draft";
      });
  }

  body.addEventListener("input", function () {
    if (counter) counter.textContent = countWords(body.value);
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
})();
