"""Notices record when the email sweeper should next look at them while their email is unsent.

Existing notices get the migration's time: those still unsent and recent enough
(``notifications.sweeper.EMAIL_MAX_AGE``) are emailed by the first sweep, the rest are left
alone. Adding a column with a constant default does not rewrite the table on PostgreSQL 11+.
"""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_link_by_name"),
        ("tenancy", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="email_due_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("emailed_at__isnull", True)),
                fields=["email_due_at"],
                name="notification_unsent_idx",
            ),
        ),
    ]
