"""Rendering a page never writes to the database: the header's tray only reads, and the jobs it
saw finished are announced after the view (studio/pages/tray.py, announce_new_toasts)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from studio.models import MediaJob
from studio.pages.tray import TOASTS_SLOT, announce_new_toasts
from studio.tests.test_jobs_tray import make_job, toasts

S = MediaJob.State


def page_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_rendering_the_headers_tray_writes_nothing(make_user):
    alice = make_user(tier="JIVE")
    make_job(alice, prompt="still running")
    done = make_job(alice, state=S.SUCCEEDED, prompt="A hadeda on a lawn")
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("studio/_tray.html", {}, page_request(alice))
    statements = [q["sql"].split(None, 1)[0].upper() for q in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}, statements
    assert "still running" in html and TOASTS_SLOT in html and toasts(html) == []
    done.refresh_from_db()
    assert done.announced_at is None


def test_after_the_view_the_page_gets_its_toasts_and_they_are_announced(make_user):
    alice = make_user(tier="JIVE")
    done = make_job(alice, state=S.SUCCEEDED, prompt="A hadeda on a lawn")
    request = page_request(alice)
    page = announce_new_toasts(lambda r: HttpResponse(render_to_string("studio/_tray.html", {}, r)))
    html = page(request).content.decode()
    [toast] = toasts(html)
    assert "Your image is ready" in toast and TOASTS_SLOT not in html
    done.refresh_from_db()
    assert done.announced_at is not None


def test_a_page_rendered_but_not_sent_leaves_its_jobs_for_the_next_page(make_user, client):
    alice = make_user(tier="JIVE")
    done = make_job(alice, state=S.SUCCEEDED, prompt="A hadeda on a lawn")

    def renders_then_redirects(request):
        render_to_string("studio/_tray.html", {}, request)
        return HttpResponseRedirect("/")

    assert announce_new_toasts(renders_then_redirects)(page_request(alice)).status_code == 302
    done.refresh_from_db()
    assert done.announced_at is None
    client.force_login(alice)
    [toast] = toasts(client.get("/").content.decode())
    assert "A hadeda on a lawn" in toast


def test_the_pages_length_counts_the_toasts_put_in(make_user, client):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    quiet = client.get("/")
    assert TOASTS_SLOT.encode() not in quiet.content  # nothing finished: no slot, nothing after
    make_job(alice, state=S.SUCCEEDED, prompt="A hadeda on a lawn")
    response = client.get("/")
    assert len(toasts(response.content.decode())) == 1
    assert int(response["Content-Length"]) == len(response.content)
