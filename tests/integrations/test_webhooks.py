"""Signing webhook requests."""

import time

from integrations import webhooks

BODY = '{"id":"3f1c","type":"enrollment.created"}'
# openssl: printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac whsec_example
KNOWN_DIGEST = "e9a0465700b486e6a5edf22d6f32ba917d46258113058dcac84c2ba7de5b2031"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    assert webhooks.sign("whsec_example", 1700000000, BODY) == f"t=1700000000,v1={KNOWN_DIGEST}"


def test_signing_bytes_and_text_agree():
    assert webhooks.sign("s", 1, BODY.encode()) == webhooks.sign("s", 1, BODY)


def test_a_fresh_signature_verifies():
    now = int(time.time())
    header = webhooks.sign("whsec_example", now, BODY)
    assert webhooks.verify("whsec_example", header, BODY.encode())


def test_a_changed_body_does_not_verify():
    now = int(time.time())
    header = webhooks.sign("whsec_example", now, BODY)
    assert not webhooks.verify("whsec_example", header, BODY.replace("created", "updated").encode())


def test_another_secret_does_not_verify():
    header = webhooks.sign("whsec_other", int(time.time()), BODY)
    assert not webhooks.verify("whsec_example", header, BODY.encode())


def test_an_old_signature_is_refused_as_a_replay():
    header = webhooks.sign("whsec_example", 1700000000, BODY)
    assert not webhooks.verify("whsec_example", header, BODY.encode(), now=1700000000 + 301)


def test_a_malformed_header_does_not_verify():
    assert not webhooks.verify("whsec_example", "v1=abc", BODY.encode())
