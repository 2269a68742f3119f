from bot.sms.options import Choice, OfferedChoices

A = Choice("Is my rental covered?", "/ask_rental")
B = Choice("My car was totaled", "/ask_gap")


def test_pick_is_one_based_and_bounded():
    choices = OfferedChoices()
    choices.remember("s1", [A, B])
    assert choices.pick("s1", 1) == A
    assert choices.pick("s1", 2) == B
    assert choices.pick("s1", 0) is None
    assert choices.pick("s1", 3) is None
    assert choices.pick("unknown", 1) is None


def test_a_new_offer_replaces_the_old_and_an_empty_one_clears_it():
    choices = OfferedChoices()
    choices.remember("s1", [A, B])
    choices.remember("s1", [B])
    assert choices.pick("s1", 1) == B
    choices.remember("s1", [])
    assert choices.pick("s1", 1) is None
    assert len(choices) == 0


def test_least_recently_used_senders_are_forgotten_first():
    choices = OfferedChoices(max_senders=2)
    choices.remember("old", [A])
    choices.remember("middle", [A])
    choices.pick("old", 1)  # "old" is used again, so "middle" is now the oldest
    choices.remember("new", [A])
    assert len(choices) == 2
    assert choices.pick("middle", 1) is None
    assert choices.pick("old", 1) == A and choices.pick("new", 1) == A
