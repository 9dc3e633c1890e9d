"""Guessing recruiters' passwords at /desk/login, over HTTP, on SQLite and PostgreSQL.

The attacker can reach the login form from one address or from many and knows a recruiter's
email address. They must not be able to keep the recruiter out (issue 14, finding 6), nor
guess faster than the throttle allows by sending attempts in parallel (finding 7), nor slow
down the chat by making the desk hash passwords (finding 7).
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from sqlalchemy import select

from ats.models import Lockout
from desk.throttle import ATTACK_AFTER, LoginThrottle
from tests.desk.conftest import KEY, PASSWORD, InProcessDesk, csrf_of

EVA = "eva.jansen@example.com"
WRONG = "not the password at all"


async def failures(desk: InProcessDesk, subject: str) -> int:
    async with desk.store.session() as session:
        return await session.scalar(select(Lockout.failures).where(Lockout.subject == subject))


def logged_in(answer) -> bool:
    return answer.status_code == 302 and answer.headers["location"] == "/desk/"


def said(answer) -> str:
    """The message of a refused login, as the recruiter reads it."""
    found = re.search(r'role="alert">([^<]*)<', answer.text)
    return found.group(1) if found else ""


async def test_parallel_wrong_passwords_are_each_counted(desk: InProcessDesk):
    """Counted read-then-write, 12 parallel wrong passwords counted 10 (finding 7)."""
    await desk.account(EVA, "Eva Jansen")
    browsers = [desk.browser() for _ in range(12)]
    forms = await asyncio.gather(*(b.get("/desk/login") for b in browsers))
    answers = await asyncio.gather(
        *(
            b.http.post(
                "/desk/login",
                data={"csrf_token": csrf_of(form.text), "email": EVA, "password": WRONG},
            )
            for b, form in zip(browsers, forms, strict=True)
        )
    )
    assert [a.status_code for a in answers] == [401] * 12
    assert await failures(desk, LoginThrottle(KEY, "any client", EVA).address) == 12


async def test_many_wrong_passwords_from_other_clients_never_keep_the_recruiter_out(
    desk: InProcessDesk,
):
    await desk.account(EVA, "Eva Jansen")
    own = desk.browser()  # the browser Eva always uses
    assert logged_in(await own.log_in(EVA))
    # an attacker, from 15 addresses, tries a password for Eva's address from each
    attackers = [desk.browser() for _ in range(15)]
    answers = await asyncio.gather(*(a.log_in(EVA, f"guess {i}!") for i, a in enumerate(attackers)))
    assert not any(logged_in(a) for a in answers)
    # the address is under attack now: a browser the desk has not seen learns nothing, and
    # the password that is right does not log it in either
    late = await attackers[0].log_in(EVA, PASSWORD)
    assert late.status_code == 401 and "emailed you a link" in said(late)

    # Eva, in her own browser, gets in at once: nothing anyone else typed stops her
    assert logged_in(await own.log_in(EVA))
    # and so she does from her own browser at a new address (her laptop at home)
    moved = desk.browser()
    moved.http.cookies = own.http.cookies
    assert logged_in(await moved.log_in(EVA))


async def test_from_a_new_browser_under_attack_the_right_password_gets_a_link_that_works_there(
    desk: InProcessDesk,
):
    await desk.account(EVA, "Eva Jansen")
    for attacker in [desk.browser() for _ in range(11)]:
        await attacker.log_in(EVA, WRONG)
    new = desk.browser()  # Eva at a colleague's computer
    wrong, right = await new.log_in(EVA, WRONG), await new.log_in(EVA, PASSWORD)
    # the same answer whether the password was right or not: the attacker learns nothing
    assert (wrong.status_code, said(wrong)) == (right.status_code, said(right))
    assert "emailed you a link" in said(right)
    await desk.accounts.wait_for_mail()
    [mail] = [m for m in desk.outbox() if m["To"] == EVA]  # one: for the right password only
    link = re.search(r"https://desk\.example\.com(/desk/login/link/\S+)", mail.get_content())
    path = link.group(1)

    # someone who intercepts the link cannot use it in another browser
    thief = desk.browser()
    page = await thief.get(path)
    refused = await thief.post(path, csrf_token=csrf_of(page.text))
    assert refused.status_code == 400 and "another browser" in refused.text

    # in the browser where Eva typed her password, it logs her in (once)
    page = await new.get(path)
    answer = await new.post(path, csrf_token=csrf_of(page.text))
    assert logged_in(answer)
    assert "Eva Jansen" in (await new.get("/desk/")).text
    assert (await new.post(path, csrf_token=csrf_of(page.text))).status_code == 400
    # and that browser is recognised from now on, the attack going on
    assert logged_in(await new.log_in(EVA))


async def test_one_client_guessing_waits_longer_after_each_wrong_password(desk: InProcessDesk):
    await desk.account(EVA, "Eva Jansen")
    guesser = desk.browser()
    for _ in range(6):  # five are free; the sixth is checked, then the next must wait
        answer = await guesser.log_in(EVA, WRONG)
        assert said(answer) == "Wrong email address or password."
    assert said(await guesser.log_in(EVA, PASSWORD)) == (
        "Too many failed attempts from here. Wait 2 seconds and try again."
    )
    desk.clock.advance(seconds=2)
    await guesser.log_in(EVA, WRONG)
    assert "Wait 4 seconds" in said(await guesser.log_in(EVA, WRONG))
    desk.clock.advance(seconds=4)
    await guesser.log_in(EVA, WRONG)
    assert "Wait 8 seconds" in said(await guesser.log_in(EVA, WRONG))

    # a colleague at another address is not held up by it
    assert logged_in(await desk.browser().log_in(EVA))
    # and Eva, the wait over, gets in with the right password from this address too
    desk.clock.advance(seconds=8)
    assert logged_in(await guesser.log_in(EVA))


async def test_one_client_trying_many_addresses_is_slowed_down(desk: InProcessDesk):
    guesser = desk.browser()
    for number in range(20):  # an office behind one address: twenty mistakes are free
        answer = await guesser.log_in(f"recruiter{number}@example.com", WRONG)
        assert said(answer) == "Wrong email address or password."
    await guesser.log_in("recruiter20@example.com", WRONG)
    assert "Wait 2 seconds" in said(await guesser.log_in("recruiter21@example.com", WRONG))


async def test_password_hashing_has_its_own_threads_and_leaves_the_default_executor_free(
    desk: InProcessDesk, monkeypatch
):
    """Rasa's tracker store works in asyncio's default executor: a flood of logins must not
    take its threads (finding 7)."""
    await desk.account(EVA, "Eva Jansen")
    loop = asyncio.get_running_loop()
    default = ThreadPoolExecutor(1)  # a busy server: one thread left for the conversations
    loop.set_default_executor(default)
    hashing: list[str] = []
    release = threading.Event()
    verify = PasswordHasher.verify

    def observed_verify(self, stored, password):  # the real check, once the test allows it
        hashing.append(threading.current_thread().name)
        release.wait(60)
        return verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", observed_verify)
    logins = [
        asyncio.create_task(desk.accounts.log_in(EVA, PASSWORD, f"203.0.113.{n}")) for n in range(8)
    ]
    try:
        for _ in range(600):  # until the logins fill the hashing threads
            if len(hashing) >= 2:
                break
            await asyncio.sleep(0.05)
        assert hashing and all(name.startswith("desk-argon2") for name in hashing)
        # while every hashing thread is busy, the default executor still answers
        assert await asyncio.wait_for(loop.run_in_executor(None, lambda: "free"), 30) == "free"
    finally:
        release.set()
    sessions = await asyncio.gather(*logins)
    assert len({login.session_token for login in sessions}) == 8
    assert len(hashing) == 8 and all(name.startswith("desk-argon2") for name in hashing)
    default.shutdown(wait=False)


async def test_a_stolen_device_cookie_buys_five_guesses_and_no_more(desk: InProcessDesk):
    await desk.account(EVA, "Eva Jansen")
    own = desk.browser()
    assert logged_in(await own.log_in(EVA))
    stolen = own.http.cookies.get("desk_device")
    for _ in range(5):  # the thief, from addresses of their own, with Eva's device cookie
        thief = desk.browser()
        thief.http.cookies.set("desk_device", stolen, path="/desk")
        assert said(await thief.log_in(EVA, WRONG)) == "Wrong email address or password."
    # from now on that cookie is a stranger's: its guesses count against the address too, and
    # once the address is under attack they learn nothing
    for _ in range(ATTACK_AFTER):
        thief = desk.browser()
        thief.http.cookies.set("desk_device", stolen, path="/desk")
        await thief.log_in(EVA, WRONG)
    assert "emailed you a link" in said(await thief.log_in(EVA, WRONG))
    # Eva, whose browser held that cookie, gets in through the link mailed to her
    assert "emailed you a link" in said(await own.log_in(EVA))
    await desk.accounts.wait_for_mail()
    [mail] = [m for m in desk.outbox() if m["To"] == EVA]
    path = re.search(r"(/desk/login/link/\S+)", mail.get_content()).group(1)
    page = await own.get(path)
    assert logged_in(await own.post(path, csrf_token=csrf_of(page.text)))
    assert logged_in(await own.log_in(EVA))  # her browser is recognised again


async def test_junk_in_the_login_form_and_its_cookies_is_refused_not_a_crash(desk: InProcessDesk):
    await desk.account(EVA, "Eva Jansen")
    browser = desk.browser()
    for address in ("\x00" + EVA, "x" * 5000, "", "' OR 1=1 --", "é" * 300):
        assert (await browser.log_in(address, "\x00")).status_code == 401
    # a form that is not UTF-8 (a lone surrogate, percent-encoded)
    form = await browser.get("/desk/login")
    raw = await browser.http.post(
        "/desk/login",
        content=f"csrf_token={csrf_of(form.text)}&email=%ED%A0%80%40x.nl&password=%FF".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code in (400, 401)
    for cookie in ("desk_device", "desk_login_browser"):
        browser.http.cookies.set(cookie, "not.a.token!" * 50, path="/desk")
    assert (await browser.log_in(EVA, WRONG)).status_code == 401
    assert logged_in(await browser.log_in(EVA))
    for token in ("x", "%00", "a" * 500):
        page = await browser.get(f"/desk/login/link/{token}")
        assert page.status_code == 200
        answer = await browser.post(f"/desk/login/link/{token}", csrf_token=csrf_of(page.text))
        assert answer.status_code == 400 and "has expired" in answer.text
