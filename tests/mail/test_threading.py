"""Conversations from Message-ID / In-Reply-To / References, subject fallback last."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from webmail.mail.threading import (
    ThreadInput,
    base_subject,
    conversations,
    is_reply_subject,
    parents_of,
    plan_threads,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def message(key, message_id="", references="", in_reply_to="", subject="Hello", day=0):
    return ThreadInput(key, message_id, in_reply_to, references, subject, START + timedelta(day))


def incrementally(messages, batches):
    """Thread ``messages`` batch by batch as the index does, carrying what it stores."""
    links, subjects, thread_of = {}, {}, {}
    for batch in batches:
        plan = plan_threads([messages[i] for i in batch], links, subjects)
        for old, kept in plan.merged.items():
            thread_of = {key: kept if label == old else label for key, label in thread_of.items()}
            links = {key: kept if label == old else label for key, label in links.items()}
            subjects = {key: kept if label == old else label for key, label in subjects.items()}
        thread_of |= plan.thread_of
        links |= plan.links
        subjects |= plan.subjects
    groups = {}
    for key, label in thread_of.items():
        groups.setdefault(label, set()).add(key)
    return sorted(groups.values(), key=min)


def test_a_reply_chain_is_one_conversation():
    found = conversations(
        [
            message(1, "<a@x>"),
            message(2, "<b@x>", references="<a@x>", subject="Re: Hello"),
            message(3, "<c@x>", references="<a@x> <b@x>", subject="Re: Hello"),
            message(4, "<d@x>", subject="Something else"),
        ]
    )
    assert found == [{1, 2, 3}, {4}]


def test_in_reply_to_alone_links_a_reply():
    assert conversations([message(1, "<a@x>"), message(2, "<b@x>", in_reply_to="<a@x>")]) == [
        {1, 2}
    ]


def test_a_missing_parent_still_holds_its_children_together():
    found = conversations(
        [
            message(1, "<b@x>", references="<lost@x>", subject="Re: Plan"),
            message(2, "<c@x>", references="<lost@x>", subject="Re: Plan"),
        ]
    )
    assert found == [{1, 2}]


def test_a_late_parent_merges_two_conversations():
    plan = plan_threads(
        [message(10, "<a@x>", references="<root@x>")],
        known_links={"m:<b@x>": 3, "m:<root@x>": 7},
        known_subjects={},
    )
    assert plan.thread_of == {10: 7}
    assert plan.merged == {} and plan.links["m:<a@x>"] == 7

    plan = plan_threads(
        [message(11, "<b@x>", references="<root@x>")], {"m:<b@x>": 3, "m:<root@x>": 7}
    )
    assert plan.thread_of == {11: 3}
    assert plan.merged == {7: 3}


def test_cycles_and_self_references_do_not_loop():
    found = conversations(
        [
            message(1, "<a@x>", references="<b@x> <a@x>"),
            message(2, "<b@x>", references="<a@x> <b@x>"),
            message(3, "<c@x>", references="<c@x>"),
        ]
    )
    assert found == [{1, 2}, {3}]
    assert parents_of(message(3, "<c@x>", references="<c@x> <c@x>")) == []


def test_duplicate_message_ids_are_copies_of_one_conversation():
    found = conversations([message(1, "<a@x>"), message(2, "<a@x>"), message(3, "<b@x>")])
    assert found == [{1, 2}, {3}]


def test_messages_without_ids_stand_alone():
    assert conversations([message(1), message(2)]) == [{1}, {2}]


def test_a_bare_id_without_brackets_is_understood():
    assert parents_of(message(2, "<b@x>", in_reply_to="a@x")) == ["<a@x>"]


def test_a_bare_value_with_whitespace_inside_is_no_id():
    # Keys are sent to PostgreSQL as lines of one text: none may hold a line break.
    assert parents_of(message(2, "<b@x>", in_reply_to="a@x\nb@x")) == []
    assert parents_of(message(2, "<b@x>", in_reply_to="a@x\tb@x")) == []


def test_references_keep_the_nearest_parents_of_a_huge_list():
    references = " ".join(f"<{n}@x>" for n in range(5000))
    parents = parents_of(message(1, "<me@x>", references=references))
    assert len(parents) == 100 and parents[-1] == "<4999@x>"


def test_a_reply_without_references_joins_the_latest_conversation_of_its_subject():
    found = conversations(
        [
            message(1, "<a@x>", subject="Weekly report", day=0),
            message(2, "<b@x>", subject="Weekly report", day=7),
            message(3, "<c@x>", subject="RE: [team] Weekly  report", day=8),
        ]
    )
    assert found == [{1}, {2, 3}]


def test_the_subject_never_joins_messages_that_are_not_replies():
    found = conversations(
        [message(1, "<a@x>", subject="Hello"), message(2, "<b@x>", subject="Hello")]
    )
    assert found == [{1}, {2}]


def test_a_reply_with_references_never_joins_on_subject():
    found = conversations(
        [
            message(1, "<a@x>", subject="Lunch"),
            message(2, "<b@x>", references="<other@x>", subject="Re: Lunch"),
        ]
    )
    assert found == [{1}, {2}]


def test_a_reply_before_its_subjects_first_message_does_not_join_it():
    found = conversations(
        [
            message(1, "<r@x>", subject="Re: Lunch", day=0),
            message(2, "<a@x>", subject="Lunch", day=1),
        ]
    )
    assert found == [{1}, {2}]


def test_a_reply_joins_a_subject_remembered_from_earlier_batches():
    plan = plan_threads([message(5, "<r@x>", subject="Re: Lunch")], {}, {"s:lunch": 2})
    assert plan.thread_of == {5: 2}


def test_base_subject_strips_prefixes_and_list_tags():
    assert base_subject("Re: Fwd: [list] RE[2]: Réf. : Budget") == "Budget"
    assert is_reply_subject("[list] Re: Budget") and not is_reply_subject("Fwd: Budget")
    assert not is_reply_subject("Regarding: Budget")


# -- properties ----------------------------------------------------------------------------------

ids = st.sampled_from([f"<{n}@x>" for n in range(8)] + [""])
messages = st.lists(
    st.tuples(ids, st.lists(ids, max_size=4), ids),
    min_size=1,
    max_size=12,
).map(
    lambda rows: [
        message(key, own, references=" ".join(refs), in_reply_to=reply)
        for key, (own, refs, reply) in enumerate(rows, start=1)
    ]
)


@settings(max_examples=200, deadline=None)
@given(messages, st.randoms(use_true_random=False))
def test_the_conversations_do_not_depend_on_the_order(found, random):
    shuffled = list(found)
    random.shuffle(shuffled)
    assert conversations(shuffled) == conversations(found)


@settings(max_examples=200, deadline=None)
@given(messages, st.randoms(use_true_random=False))
def test_threading_batch_by_batch_ends_like_threading_at_once(found, random):
    order = list(range(len(found)))
    random.shuffle(order)
    cuts = sorted(random.sample(range(1, len(order) + 1), k=min(3, len(order))))
    batches = [order[start:end] for start, end in zip([0, *cuts], cuts, strict=False)]
    if cuts[-1] < len(order):
        batches.append(order[cuts[-1] :])
    assert incrementally(found, batches) == conversations(found)


@settings(max_examples=200, deadline=None)
@given(messages)
def test_messages_naming_a_common_id_share_a_conversation(found):
    groups = conversations(found)
    group_of = {key: index for index, group in enumerate(groups) for key in group}
    by_id = {}
    for item in found:
        named = set(parents_of(item)) | ({item.message_id} if item.message_id else set())
        for message_id in named:
            by_id.setdefault(message_id, []).append(item.key)
    for keys in by_id.values():
        assert len({group_of[key] for key in keys}) == 1
