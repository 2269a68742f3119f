"""Finding 1: the identity check could be brute-forced (a ZIP found in 102 guesses).

Each reset the attack used — a new sender id or socket.io session per guess,
`/restart` or `/back` after each miss, another channel — now meets the same
failure counts (bot/data/throttle.py): five misses per VIN (or contract) an
hour lock it for everyone, with the same answer whatever was wrong.
"""

from __future__ import annotations

from bot.content.contacts import contacts
from tests.support.clients import Rest, Sms, Socket, new_sender
from tests.support.stack import RunningStack

GAP_PHONE = contacts()["gap_phone"]
LOCKED = "I can't verify those details here right now"
MISMATCH = "I couldn't match those details"
FOUND = "I found your contract"


def rest_guess(rest: Rest, name: str, zip_code: str, vin: str, client_ip: str) -> str:
    """One guess in a brand-new conversation, from its own address."""
    sender = new_sender()
    rest.say(sender, "look up my contract", client_ip)
    return rest.say(sender, f"{name} {zip_code} {vin}", client_ip)


def test_a_new_sender_and_address_per_guess_is_locked_out_and_so_is_every_channel(
    rest: Rest, sms: Sms
) -> None:
    name, zip_code, vin = "Testwell", "66044", "1FTEW1EP0LK530264"
    replies = [rest_guess(rest, name, f"6600{n}", vin, f"10.1.0.{n}") for n in range(5)]
    assert all(MISMATCH in r for r in replies[:4]), replies
    assert LOCKED in replies[4] and GAP_PHONE in replies[4]
    # The right ZIP, from yet another address: refused, with the same answer.
    right = rest_guess(rest, name, zip_code, vin, "10.1.0.99")
    assert LOCKED in right and FOUND not in right and "Major Guard" not in right
    # Over SMS too: the count is not the REST channel's.
    phone = sms.new_phone()
    sms.text(phone, "look up my contract")
    over_sms = sms.text(phone, f"{name} {zip_code} {vin}")
    assert LOCKED in over_sms and FOUND not in over_sms


def test_a_new_socket_session_per_guess_is_locked_out(stack: RunningStack) -> None:
    name, vin = "Placeholder", "KM8J3CA47NU118492"
    replies = []
    for n, zip_code in enumerate(["33102", "33103", "33104", "33105", "33106", "33101"]):  # the last is right
        socket = Socket(stack.rasa_url, client_ip=f"10.2.0.{n}")
        try:
            socket.request_session()
            socket.send("look up my contract")
            replies.append(socket.send(f"{name} {zip_code} {vin}"))
        finally:
            socket.close()
    assert all(MISMATCH in r for r in replies[:4]), replies
    assert LOCKED in replies[4] and LOCKED in replies[5] and FOUND not in replies[5]


def test_restart_and_back_do_not_reset_the_conversation(rest: Rest) -> None:
    """A miss, `/restart`, a miss, `/back`, a miss: three misses lock this conversation."""
    name, vin, sender, ip = "O'Connor", "1HGFE2F56MA104231", new_sender(), "10.3.0.1"
    rest.say(sender, "look up my contract", ip)
    first = rest.say(sender, f"{name} 60001 {vin}", ip)
    rest.say(sender, "/restart", ip)
    rest.say(sender, "look up my contract", ip)
    second = rest.say(sender, f"{name} 60002 {vin}", ip)
    rest.say(sender, "/back", ip)
    rest.say(sender, "look up my contract", ip)
    third = rest.say(sender, f"{name} 60003 {vin}", ip)
    assert MISMATCH in first and MISMATCH in second
    assert LOCKED in third and GAP_PHONE in third
    # Still locked for this conversation, even for the right details.
    assert FOUND not in rest.say(sender, f"{name} 60614 {vin}", ip)
