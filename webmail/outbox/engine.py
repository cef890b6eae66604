"""Delivering the outbox: each message once, or reported, never silently twice.

What SMTP lets us know, and what we claim
-----------------------------------------
A message is accepted by the server at one instant: its reply to the final "."
of DATA. Before the "." is sent, the server discards an unfinished transaction
when the connection goes; after it, the server may have accepted the message
even if we never hear its reply. No protocol trick closes that window (RFC 1047
describes it; CHUNKING/BDAT has the same last-chunk window). So:

- A message is handed to SMTP only by the worker holding its claim: an atomic
  compare-and-set ``filter(pk, state=queued, due).update(state=sending,
  lease_until=now+lease, claimed_by=token)``; "updated != 1" means someone else
  has it. Duplicated Celery deliveries and concurrent workers are harmless.
- Just before writing the final ".", the holder records ``data_sent_at`` with a
  second compare-and-set (still its claim, lease not expired). If that fails, the
  holder hangs up without the "." and the server drops it.
- The reply ends the attempt, with the per-recipient results in the same UPDATE:
  sent, failed, or queued again (temporary refusals, with exponential backoff).
  To spare a round trip per message, that UPDATE is the next message's "."
  record when one follows at once; a crash in between (one MAIL/RCPT/DATA
  exchange) leaves the earlier message maybe_sent: less than we knew, never more.
- A row left in ``sending`` with an expired lease (a killed worker, a lost
  machine) is recovered by ``recover_expired_leases``:
  ``data_sent_at`` empty → the "." was never sent → queued again, safe;
  ``data_sent_at`` set and no reply recorded → ``maybe_sent``: we cannot know,
  and say so. A person decides: resend (same Message-ID, so recipients' mailers
  can spot a duplicate) or dismiss.
- A connection lost after the "." (drop, timeout) is ``maybe_sent`` at once.
- A reply that arrives after all (a slow server outliving the lease) still
  counts: maybe_sent → sent/failed/queued, for the claim's own token only.

The database, not the broker, drives all of this: tasks only say "look at this
account now"; ``dispatch_due`` finds due work from the rows every few seconds.

Sent copies are at-least-once instead: an APPEND whose answer is lost is tried
again, which at worst leaves two copies in Sent (and never touches the message's
state).
"""

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from webmail.mail import smtp
from webmail.mail.errors import ConnectError, MailError, TemporaryError
from webmail.models import MailAccount
from webmail.outbox import reasons, sent_copy, states
from webmail.outbox.backoff import lease_seconds, retry_delay, run_budget_seconds
from webmail.outbox.models import CopyState, OutboxMessage, Recipient, RecipientStatus, State

logger = logging.getLogger(__name__)

# Messages claimed with one UPDATE; each still gets its own "." record and result.
CLAIM_BATCH = 20


@dataclass
class RunReport:
    sent: int = 0
    requeued: int = 0
    failed: int = 0
    maybe_sent: int = 0
    copies_saved: int = 0
    more_due: bool = False


class LeaseLost(Exception):
    """Our claim expired and the row moved on: this worker must not touch it."""


# -- entry points ---------------------------------------------------------------------------------


def deliver(outbox_id: int) -> RunReport:
    """Deliver this one message if it is due and nobody else has it."""
    account_id = (
        OutboxMessage.objects.filter(pk=outbox_id).values_list("account_id", flat=True).first()
    )
    if account_id is None:
        return RunReport()
    account = MailAccount.objects.get(pk=account_id)
    # A run tries each message once, so offering it on every call offers it once.
    report = _Run(account).deliver(lambda limit: [outbox_id])
    report.copies_saved = sent_copy.save_sent_copies(account)
    return report


def deliver_due_for_account(account_id: int) -> RunReport:
    """Deliver every due message of the account over as few SMTP connections as
    possible (one, unless the server hangs up), then save the Sent copies due."""
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        return RunReport()
    report = _Run(account).deliver(lambda limit: _due_ids(account_id, limit))
    report.copies_saved = sent_copy.save_sent_copies(account)
    report.more_due = (
        bool(_due_ids(account_id, limit=1)) or sent_copy.copies_due(account_id).exists()
    )
    return report


def dispatch_due(now: datetime | None = None) -> list[int]:
    """Recover expired claims, then return the accounts with due work (delivery or
    Sent copies). Run by beat every few seconds: the database drives recovery."""
    now = now or timezone.now()
    recover_expired_leases(now)
    delivery = OutboxMessage.objects.filter(
        state=State.QUEUED, next_attempt_at__lte=now, send_after__lte=now
    ).values_list("account_id", flat=True)
    copies = OutboxMessage.objects.filter(
        copy_state=CopyState.PENDING, copy_next_at__lte=now
    ).values_list("account_id", flat=True)
    return sorted(set(delivery) | set(copies))


def recover_expired_leases(now: datetime | None = None) -> tuple[int, int]:
    """Rows whose worker vanished: (queued again, now maybe_sent). See the module doc."""
    now = now or timezone.now()
    expired = OutboxMessage.objects.filter(state=State.SENDING, lease_until__lt=now)
    states.check(State.SENDING, State.QUEUED)
    # next_attempt_at stays as it was when claimed: already due.
    requeued = expired.filter(data_sent_at__isnull=True).update(
        state=State.QUEUED, lease_until=None, claimed_by="", updated_at=now
    )
    states.check(State.SENDING, State.MAYBE_SENT)
    maybe = expired.filter(data_sent_at__isnull=False).update(
        state=State.MAYBE_SENT,
        error_code="worker_lost_after_data",
        lease_until=None,
        updated_at=now,
    )
    if requeued or maybe:
        logger.warning("outbox: expired claims: %s queued again, %s maybe sent", requeued, maybe)
    return requeued, maybe


# -- one run over an account ----------------------------------------------------------------------


def _due_ids(account_id: int, limit: int) -> list[int]:
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        account_id=account_id, state=State.QUEUED, next_attempt_at__lte=now, send_after__lte=now
    ).order_by("next_attempt_at", "pk")
    return list(due.values_list("pk", flat=True)[:limit])


def claim(pk: int, token: str) -> OutboxMessage | None:
    """Claim one message for ``token``: None when it is not queued and due any more
    (someone else has it, or it was cancelled, rescheduled or sent)."""
    claimed = claim_batch([pk], token)
    return claimed[0] if claimed else None


def claim_batch(pks: Sequence[int], token: str) -> list[OutboxMessage]:
    """Claim those of ``pks`` still queued and due, with one compare-and-set UPDATE
    (the row lock makes a concurrent claim wait, then find them taken); return the
    ones ``token`` got, loaded, in the order asked. One round trip for a batch keeps
    the database off the per-message path (see bench/outbox.py)."""
    now = timezone.now()
    states.check(State.QUEUED, State.SENDING)
    OutboxMessage.objects.filter(
        pk__in=pks, state=State.QUEUED, next_attempt_at__lte=now, send_after__lte=now
    ).update(
        state=State.SENDING,
        lease_until=now + timedelta(seconds=lease_seconds()),
        claimed_by=token,
        data_sent_at=None,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    claimed = OutboxMessage.objects.filter(pk__in=pks, state=State.SENDING, claimed_by=token)
    order = {pk: index for index, pk in enumerate(pks)}
    return sorted(claimed, key=lambda message: order[message.pk])


_CLAIMED_STATES = (State.SENDING, State.MAYBE_SENT)
_REPORT_COUNTERS = {
    State.SENT: "sent",
    State.QUEUED: "requeued",
    State.FAILED: "failed",
    State.MAYBE_SENT: "maybe_sent",
}


@dataclass
class _Outcome:
    """What one attempt decided for a message."""

    state: str
    recipients: list[Recipient]
    error_code: str = ""
    last_error: str = ""


@dataclass
class _Run:
    """One worker's pass over an account's due messages, under one claim token."""

    account: MailAccount
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    report: RunReport = field(default_factory=RunReport)
    current: OutboxMessage | None = None
    dot_sent: bool = False
    # A run tries each message once: one that is due again at once (no backoff)
    # waits for the next run instead of looping here.
    tried: set[int] = field(default_factory=set)
    in_flight: list[Recipient] = field(default_factory=list)
    batch: list[OutboxMessage] = field(default_factory=list)  # claimed, not tried yet
    # The last result, written with the next message's "." record (_mark_and_settle).
    unrecorded: tuple[OutboxMessage, dict] | None = None
    started: float = field(default_factory=time.monotonic)
    candidates: Callable[[int], Sequence[int]] = field(default=lambda limit: [])

    def deliver(self, candidates: Callable[[int], Sequence[int]]) -> RunReport:
        """Claim and send what ``candidates(limit)`` offers until nothing is left or the
        run's time is up; whatever was claimed and not tried goes back to the queue."""
        self.candidates = candidates
        try:
            while (message := self._next()) is not None:
                if not self._session(message):
                    break
        finally:
            self._record_unrecorded()
            self._release()
        return self.report

    def _next(self) -> OutboxMessage | None:
        if time.monotonic() - self.started >= run_budget_seconds():
            return None
        while not self.batch:
            offered = self.candidates(CLAIM_BATCH + len(self.tried))
            pks = [pk for pk in offered if pk not in self.tried][:CLAIM_BATCH]
            if not pks:
                return None
            self.tried.update(pks)
            self.batch = claim_batch(pks, self.token)
        return self.batch.pop(0)

    def _release(self) -> None:
        """Claimed but never tried (the run ended first): queued again, as it was."""
        if not self.batch:
            return
        states.check(State.SENDING, State.QUEUED)
        OutboxMessage.objects.filter(
            pk__in=[message.pk for message in self.batch],
            state=State.SENDING,
            claimed_by=self.token,
            data_sent_at__isnull=True,
        ).update(
            state=State.QUEUED,
            lease_until=None,
            claimed_by="",
            attempts=F("attempts") - 1,
            updated_at=timezone.now(),
        )
        self.batch = []

    def _session(self, message: OutboxMessage) -> bool:
        """One SMTP connection for as many messages as it lasts. True when it is
        worth opening another one for the messages still due."""
        attempted = 0
        self.current, self.dot_sent = message, False
        try:
            with smtp.open_smtp(self.account.smtp_settings()) as client:
                while self.current is not None:
                    result = self._send(client, self.current)
                    attempted += 1
                    self.current = None
                    if result.session_closed:
                        return True
                    self.current, self.dot_sent = self._next(), False
        except LeaseLost:
            logger.warning("outbox: lost the claim on message %s", self.current.pk)
            self.current = None
            return False
        except MailError as error:
            self._connection_failed(error, attempted_any=attempted > 0)
            return attempted > 0 and _is_temporary(error)
        finally:
            self._record_unrecorded()  # the last result: nothing left to share a write with
        return False

    def _send(self, client, message: OutboxMessage) -> smtp.SendResult:
        pending = [
            r.address for r in message.recipient_results if r.status == RecipientStatus.PENDING
        ]
        result = smtp.send_message(
            client,
            message.envelope_from,
            pending,
            bytes(message.raw),
            before_final_dot=lambda results: self._before_final_dot(message, results),
        )
        self._finish(message, _outcome_of(message, result))
        return result

    def _before_final_dot(
        self, message: OutboxMessage, results: Sequence[smtp.RecipientResult]
    ) -> bool:
        now = timezone.now()
        in_flight = _with_results(message.recipient_results, results, in_flight=True)
        # The lease is not renewed: if it runs out before the reply, the row turns
        # maybe_sent, and the reply, when it comes, still settles it (_settle_sources).
        marks = {
            "data_sent_at": now,
            "recipients": [recipient.as_json() for recipient in in_flight],
            "updated_at": now,
        }
        if not self._mark_and_settle(message, marks):
            raise LeaseLost
        self.dot_sent, self.in_flight = True, in_flight
        return True

    def _mark_and_settle(self, message: OutboxMessage, marks: dict) -> bool:
        """Record that ``message``'s "." is about to go and, in the same UPDATE, the
        previous message's result: one round trip per message instead of two, which
        is most of what the outbox adds to SMTP's own cost. The previous result waited
        only while this message's MAIL, RCPT and DATA went (a crash then leaves it
        maybe_sent: less than we knew, never more). True if the mark was made."""
        now = marks["data_sent_at"]
        if self.unrecorded is None:
            ours = OutboxMessage.objects.filter(
                pk=message.pk, state=State.SENDING, claimed_by=self.token, lease_until__gt=now
            )
            return ours.update(**marks) == 1
        done, fields = self.unrecorded
        self.unrecorded = None
        updated = _mark_and_settle_rows(
            self.token, (message.pk, marks), (done.pk, fields), _settle_sources(fields)
        )
        marked = updated == 2 or (
            updated == 1
            and OutboxMessage.objects.filter(
                pk=message.pk, claimed_by=self.token, data_sent_at=marks["data_sent_at"]
            ).exists()
        )
        self._count(done, fields, settled=updated == 2 or (updated == 1 and not marked))
        return marked

    def _finish(self, message: OutboxMessage, outcome: _Outcome) -> None:
        now = timezone.now()
        fields = {
            "state": outcome.state,
            "recipients": [recipient.as_json() for recipient in outcome.recipients],
            "error_code": outcome.error_code,
            "last_error": outcome.last_error,
            "lease_until": None,
            "updated_at": now,
        }
        if outcome.state == State.QUEUED:
            fields["next_attempt_at"] = now + retry_delay(message.attempts)
            fields["data_sent_at"] = None
            if fields["next_attempt_at"] > message.give_up_at:
                fields |= {"state": State.FAILED, "error_code": "gave_up"}
        if fields["state"] == State.SENT:
            fields |= {"sent_at": now, **sent_copy.copy_fields(self.account, now)}
        self._record_unrecorded()
        self.unrecorded = (message, fields)

    def _record_unrecorded(self) -> None:
        """Write the result still held in memory (see _mark_and_settle), alone."""
        if self.unrecorded is None:
            return
        message, fields = self.unrecorded
        self.unrecorded = None
        updated = OutboxMessage.objects.filter(self._settle_condition(message, fields))
        self._count(message, fields, settled=updated.update(**fields) == 1)

    def _settle_condition(self, message: OutboxMessage, fields: dict) -> Q:
        return Q(pk=message.pk, claimed_by=self.token, state__in=_settle_sources(fields))

    def _count(self, message: OutboxMessage, fields: dict, *, settled: bool) -> None:
        if not settled:
            logger.warning("outbox: message %s moved on before its result was recorded", message.pk)
            return
        counter = _REPORT_COUNTERS[fields["state"]]
        setattr(self.report, counter, getattr(self.report, counter) + 1)

    def _connection_failed(self, error: MailError, *, attempted_any: bool) -> None:
        """The connection failed (or could not be opened) with ``self.current`` in hand."""
        message, self.current = self.current, None
        if message is None:
            return
        if self.dot_sent:
            outcome = _Outcome(State.MAYBE_SENT, self.in_flight, "lost_after_data", str(error))
            self._finish(message, outcome)
            return
        state = State.QUEUED if _is_temporary(error) else State.FAILED
        recipients = message.recipient_results
        self._finish(message, _Outcome(state, recipients, error.code, error.detail))
        if not attempted_any:
            # The server refused us before any message: the others due now would meet
            # the same fate. Give them the same outcome instead of a connection each.
            self._release()
            _defer_or_fail_due(self.account.pk, state, error, message.attempts)


def _defer_or_fail_due(account_id: int, state: str, error: MailError, attempts: int) -> None:
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        account_id=account_id, state=State.QUEUED, next_attempt_at__lte=now, send_after__lte=now
    )
    if state == State.FAILED:
        states.check(State.QUEUED, State.FAILED)
        due.update(
            state=State.FAILED,
            error_code=error.code,
            last_error=error.detail,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        return
    later = now + retry_delay(attempts)
    states.check(State.QUEUED, State.FAILED)  # past their retry period
    due.filter(give_up_at__lt=later).update(
        state=State.FAILED, error_code="gave_up", last_error=error.detail, updated_at=now
    )
    due.update(
        next_attempt_at=later,
        attempts=F("attempts") + 1,
        error_code=error.code,
        last_error=error.detail,
        updated_at=now,
    )


def _settle_sources(fields: dict) -> list[str]:
    """An attempt's end applies only while the claim is ours: in sending, or in
    maybe_sent when its lease ran out before the reply (see the module doc)."""
    return [s for s in states.sources_of(fields["state"]) if s in _CLAIMED_STATES]


def _mark_and_settle_rows(
    token: str, mark: tuple[int, dict], settle: tuple[int, dict], sources: list[str]
) -> int:
    """One UPDATE, two rows, each its own values: the "." record of ``mark`` (still
    ours, lease running) and the result of ``settle`` (still ours). Written out in
    SQL because Case/When through the ORM cost more CPU than the round trip it saves
    (bench/outbox.py); every value is a parameter, every name from the model."""
    meta, quote = OutboxMessage._meta, connection.ops.quote_name
    pk_column = quote(meta.pk.column)
    assignments, params = [], []
    for name in sorted(set(mark[1]) | set(settle[1])):
        field_ = meta.get_field(name)
        column = quote(field_.column)
        branches = []
        for pk, values in (mark, settle):
            if name in values:
                branches.append("WHEN %s THEN %s")
                params += [pk, field_.get_db_prep_save(values[name], connection)]
        assignments.append(f"{column} = CASE {pk_column} {' '.join(branches)} ELSE {column} END")
    column = {name: quote(meta.get_field(name).column) for name in ("state", "claimed_by")}
    in_sources = ", ".join(["%s"] * len(sources))
    # Names come from the model, every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE "  # noqa: S608
        f"({pk_column} = %s AND {column['state']} = %s AND {column['claimed_by']} = %s "
        f"AND {quote(meta.get_field('lease_until').column)} > %s) "
        f"OR ({pk_column} = %s AND {column['claimed_by']} = %s "
        f"AND {column['state']} IN ({in_sources}))"
    )
    lease_floor = meta.get_field("lease_until").get_db_prep_value(
        mark[1]["data_sent_at"], connection
    )
    params += [mark[0], State.SENDING, token, lease_floor, settle[0], token, *sources]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _is_temporary(error: MailError) -> bool:
    return isinstance(error, ConnectError | TemporaryError)


# -- what a reply means ---------------------------------------------------------------------------


def _with_results(
    recipients: Iterable[Recipient], results: Iterable[smtp.RecipientResult], *, in_flight: bool
) -> list[Recipient]:
    """``recipients`` updated with the RCPT answers: refused for good (5xx), still
    pending (4xx), and for the accepted ones in flight or accepted."""
    answers = {result.address: result for result in results}
    updated = []
    for recipient in recipients:
        answer = answers.get(recipient.address)
        if answer is None:
            updated.append(recipient)
            continue
        if answer.accepted:
            status = RecipientStatus.IN_FLIGHT if in_flight else RecipientStatus.ACCEPTED
        elif answer.reply.temporary:
            status = RecipientStatus.PENDING
        else:
            status = RecipientStatus.REFUSED
        updated.append(Recipient(recipient.address, status, answer.reply.code, answer.reply.text))
    return updated


def _outcome_of(message: OutboxMessage, result: smtp.SendResult) -> _Outcome:
    reply = result.reply
    if result.delivered:
        recipients = _with_results(message.recipient_results, result.recipients, in_flight=False)
        return _settled(_with_final_reply(recipients, reply))
    # Refused as a whole: nobody got it. The RCPT refusals stand; the others wait,
    # unless the server refused the message itself for good.
    refusals = [answer for answer in result.recipients if not answer.accepted]
    recipients = _with_results(message.recipient_results, refusals, in_flight=False)
    if reply is not None and not reply.temporary:
        recipients = [
            Recipient(r.address, RecipientStatus.REFUSED, reply.code, reply.text)
            if r.status == RecipientStatus.PENDING
            else r
            for r in recipients
        ]
    outcome = _settled(recipients)
    if outcome.state != State.SENT:
        code, text = (reply.code, reply.text) if reply else (None, "")
        outcome.error_code = reasons.message_code_for_refusal(result.refused_at or "", code, text)
        outcome.last_error = str(reply) if reply else _first_refusal(recipients)
    return outcome


def _with_final_reply(recipients: list[Recipient], reply: smtp.Reply | None) -> list[Recipient]:
    """Accepted recipients keep the server's answer to the "." (it names the queue id)."""
    if reply is None:
        return recipients
    return [
        Recipient(r.address, r.status, reply.code, reply.text) if r.accepted else r
        for r in recipients
    ]


def _settled(recipients: list[Recipient]) -> _Outcome:
    if any(r.status == RecipientStatus.PENDING for r in recipients):
        return _Outcome(State.QUEUED, recipients)
    if any(r.accepted for r in recipients):
        return _Outcome(State.SENT, recipients)
    return _Outcome(State.FAILED, recipients, "recipients_refused", _first_refusal(recipients))


def _first_refusal(recipients: Iterable[Recipient]) -> str:
    return next(
        (f"{r.code} {r.reply}" for r in recipients if r.status == RecipientStatus.REFUSED), ""
    )
