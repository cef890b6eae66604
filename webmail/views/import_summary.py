"""What became of an import of mail, in a sentence, for the folders page."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webmail.error_messages import describe
from webmail.models import MailImport
from webmail.services import mail_import

SKIP_REASONS = {
    mail_import.NOT_MAIL: gettext_lazy("not a mail message"),
    mail_import.REFUSED: gettext_lazy("refused by the server"),
}
STOP_REASONS = {
    "storage_full": gettext_lazy("your storage space here is full"),
    mail_import.ABANDONED: gettext_lazy("it stopped half way; what it imported stays"),
}


def import_summary(job: MailImport) -> str:
    counts = {"imported": job.imported, "skipped": job.skipped_count}
    reasons = ", ".join(
        f"{SKIP_REASONS.get(code, code)} ({count})" for code, count in job.skipped.items()
    )
    if job.state in (job.State.QUEUED, job.State.RUNNING):
        text = _("In progress: %(imported)s imported so far.") % counts
    elif job.state == job.State.DONE:
        text = _("Done: %(imported)s imported, %(skipped)s skipped.") % counts
    else:
        reason = STOP_REASONS.get(job.stopped_because) or describe(job.stopped_because)
        text = _("Stopped (%(reason)s): %(imported)s imported, %(skipped)s skipped.") % {
            **counts,
            "reason": reason,
        }
    return f"{text} {_('Skipped: %(reasons)s.') % {'reasons': reasons}}" if reasons else text
