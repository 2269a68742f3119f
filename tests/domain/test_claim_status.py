from bot.domain import claim_status as cs


def test_final_statuses():
    assert cs.FINAL_STATUSES == ("denied", "paid")
    assert set(cs.NON_FINAL_STATUSES) == {"open", "in_review", "more_documents_needed", "approved"}
    assert all(cs.is_final(s) for s in cs.FINAL_STATUSES)


def test_final_statuses_never_change_and_nothing_returns_to_open():
    for status in cs.STATUSES:
        assert not cs.can_change(status, cs.OPEN)
        assert not cs.can_change(status, status)
        for final in cs.FINAL_STATUSES:
            assert not cs.can_change(final, status)


def test_the_usual_path():
    path = ["open", "in_review", "more_documents_needed", "in_review", "approved", "paid"]
    assert all(cs.can_change(a, b) for a, b in zip(path, path[1:]))
    assert cs.can_change("approved", "denied")
    assert not cs.can_change("open", "paid")
    assert not cs.can_change("open", "nonsense")
