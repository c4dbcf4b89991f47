"""Daily reminder e-mails. Safe to run as often as wanted: the ledger sends each reminder once."""

import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from core.management_utils import parse_vn_date
from core.reminders import already_sent, send_once
from inspections.reminders import inspection_reminders
from scoring.reminders import due_reminders

# Each feature contributes one function `provider(today) -> list[Reminder]`; add new ones here.
PROVIDERS = [
    due_reminders,
    inspection_reminders,
]

# Deadlines are dates in the province, whatever the server's clock is set to.
LOCAL_ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


class Command(BaseCommand):
    help = "Gửi thư nhắc việc đến hạn (chạy mỗi ngày; chạy lại không gửi trùng thư đã gửi)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Tính như thể hôm nay là ngày dd/mm/yyyy (kiểm thử, gửi bù).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ liệt kê thư sẽ gửi; không gửi, không ghi sổ.")

    def handle(self, *args, **o):
        today = parse_vn_date(o["date"], "--date") or timezone.localdate(timezone=LOCAL_ZONE)
        dry_run = o["dry_run"]
        sent = skipped = failed = 0
        # Mail goes out in the site's language, not in whatever locale the shell or cron has.
        with translation.override(settings.LANGUAGE_CODE):
            reminders = [reminder for provider in PROVIDERS for reminder in provider(today)]
            for reminder in reminders:
                user = reminder.user
                if not user.email:
                    skipped += 1
                    continue
                if dry_run:
                    if not already_sent(user, reminder.key):
                        sent += 1
                        self.stdout.write(f"[thử] {user.username} <{user.email}>: {reminder.subject}")
                    continue
                try:
                    if not send_once(user, reminder.key, reminder.subject, reminder.body):
                        continue
                except Exception as exc:  # one bad address or a mail-server hiccup must not stop the others
                    failed += 1
                    self.stderr.write(f"Lỗi gửi thư cho {user.username} <{user.email}>: {exc}")
                    continue
                sent += 1
                self.stdout.write(f"{user.username} <{user.email}>: {reminder.subject}")
        if skipped:
            self.stdout.write(f"Bỏ qua {skipped} thư vì người nhận chưa có địa chỉ e-mail.")
        if dry_run:
            self.stdout.write(f"[thử] Sẽ gửi {sent} thư nhắc việc (ngày {today:%d/%m/%Y}); chưa gửi thư nào.")
            return
        self.stdout.write(f"Đã gửi {sent} thư nhắc việc.")
        if failed:
            # A non-zero exit makes cron report it; the failed ones are not in the ledger and go out next run.
            raise CommandError(f"Không gửi được {failed} thư; lần chạy sau sẽ gửi lại.")
