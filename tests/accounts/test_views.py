import re

from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from accounts import roles
from accounts.models import User

# The password tests/factories.py gives every user.
FACTORY_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "plum-Vortex-97-quill"


def sign_up(client, **overrides):
    data = {
        "email": "new.person@example.org",
        "display_name": "Nia Newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(reverse("signup"), data)


def sign_in(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def is_signed_in(client):
    return client.get(reverse("courseware:dashboard")).status_code == 200


# Signing up


def test_sign_up_creates_a_learner_account(client, db):
    response = sign_up(client)

    assertRedirects(response, reverse("courseware:catalog"))
    user = User.objects.get(email="new.person@example.org")
    assert user.display_name == "Nia Newcomer"
    assert user.check_password(NEW_PASSWORD)
    assert list(user.groups.all()) == [Group.objects.get(name=roles.LEARNERS)]
    assert not user.is_staff


def test_sign_up_signs_the_new_learner_in(client, db):
    sign_up(client)

    user = User.objects.get(email="new.person@example.org")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert is_signed_in(client)


def test_sign_up_with_an_email_already_in_use_in_other_case_is_refused(client, learner):
    response = sign_up(client, email="LEARNER@Example.ORG")

    assertContains(response, "An account with this email address already exists.")
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1
    assert not is_signed_in(client)


def test_sign_up_with_mismatched_passwords_is_refused(client, db):
    response = sign_up(client, password2="plum-Vortex-97-quilt")

    assertContains(response, "The two password fields didn’t match.")
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()
    assert not is_signed_in(client)


# Signing in and out


def test_sign_in_with_email_ignores_case(client, learner):
    response = sign_in(client, "LEARNER@Example.ORG", FACTORY_PASSWORD)

    assertRedirects(response, reverse("courseware:dashboard"))
    assert int(client.session["_auth_user_id"]) == learner.pk


def test_sign_in_with_a_wrong_password_is_refused(client, learner):
    response = sign_in(client, "learner@example.org", "not the password")

    assertContains(response, "Please enter a correct email address and password.")
    assert not is_signed_in(client)


def test_pages_offer_sign_out_as_a_form_that_posts(client, learner):
    client.force_login(learner)

    response = client.get(reverse("courseware:catalog"))

    assertContains(response, f'<form method="post" action="{reverse("logout")}"')
    assertContains(response, 'type="submit" class="link-button">Sign out</button>')


def test_sign_out_is_a_post_that_signs_the_user_out(client, learner):
    client.force_login(learner)

    response = client.post(reverse("logout"))

    assertRedirects(response, reverse("courseware:catalog"))
    assert not is_signed_in(client)


def test_following_a_sign_out_link_does_not_sign_the_user_out(client, learner):
    client.force_login(learner)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert is_signed_in(client)


# Changing and resetting the password


def test_password_change_page_requires_sign_in(client, db):
    url = reverse("password_change")

    response = client.get(url)

    assertRedirects(response, f"{reverse('login')}?next={url}")


def test_signed_in_user_can_change_their_password(client, learner):
    client.force_login(learner)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": FACTORY_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assertRedirects(response, reverse("password_change_done"))
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)


def request_password_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def reset_link(message):
    match = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match[1]


def test_password_reset_sends_an_email_with_a_reset_link(client, learner, mailoutbox):
    response = request_password_reset(client, "learner@example.org")

    assertRedirects(response, reverse("password_reset_done"))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["learner@example.org"]
    assert reset_link(mailoutbox[0])


def test_password_reset_link_lets_the_user_set_a_new_password_and_sign_in(
    client, learner, mailoutbox
):
    request_password_reset(client, "learner@example.org")

    form_page = client.get(reset_link(mailoutbox[0]), follow=True)
    assertContains(form_page, "Choose a new password")
    assertContains(form_page, 'name="new_password1"')
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assertRedirects(done, reverse("password_reset_complete"))

    response = sign_in(client, "learner@example.org", NEW_PASSWORD)
    assertRedirects(response, reverse("courseware:dashboard"))


def test_password_reset_retires_the_old_password(client, learner, mailoutbox):
    request_password_reset(client, "learner@example.org")
    form_page = client.get(reset_link(mailoutbox[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    response = sign_in(client, "learner@example.org", FACTORY_PASSWORD)

    assert response.status_code == 200
    assert not is_signed_in(client)


def test_password_reset_link_works_only_once(client, learner, mailoutbox):
    request_password_reset(client, "learner@example.org")
    link = reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    response = client.get(link, follow=True)

    assertContains(response, "This reset link is invalid or has already been used.")


def test_profile_sets_the_time_zone_due_dates_are_shown_in(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("profile"), {"display_name": "Lee L.", "timezone": "Asia/Tokyo"}, follow=True
    )
    assert "Your profile is saved." in response.content.decode()
    learner.refresh_from_db()
    assert (learner.display_name, learner.timezone) == ("Lee L.", "Asia/Tokyo")


def test_profile_refuses_an_unknown_time_zone(client, learner):
    client.force_login(learner)
    response = client.post(reverse("profile"), {"display_name": "Lee", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    learner.refresh_from_db()
    assert learner.timezone == "UTC"


def test_an_account_created_without_a_password_can_choose_one_by_reset(client, db, mailoutbox):
    invited = User.objects.create_user(email="invited@example.org", password=None)
    assert not invited.has_usable_password()
    client.post(reverse("password_reset"), {"email": "Invited@example.org"})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["invited@example.org"]
