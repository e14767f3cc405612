"""Staff roles: the restaurant's staff many-to-many gets an explicit model, StaffMembership,
with a role (host and kitchen, or manager). Its table is the one Django created for the plain
many-to-many field, `orders_restaurantprofile_staff`, kept with every row: only the role
column is added, and everyone already on a staff becomes a host (the default).

Also: the restaurant setting that hides the published quote accuracy, and the indexes that
insights read parties by."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0006_hardening"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model as Django's state knows it, over the table that already exists: nothing
        # is created or copied in the database.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StaffMembership",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("restaurant", models.ForeignKey(db_column="restaurantprofile_id", on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="orders.restaurantprofile")),
                        ("user", models.ForeignKey(db_column="user_id", on_delete=django.db.models.deletion.CASCADE, related_name="restaurant_memberships", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "staff member",
                        "db_table": "orders_restaurantprofile_staff",
                        "unique_together": {("restaurant", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="restaurantprofile",
                    name="staff",
                    field=models.ManyToManyField(blank=True, related_name="staffed_restaurants", through="orders.StaffMembership", to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[],
        ),
        # The one real change to that table: existing members become hosts.
        migrations.AddField(
            model_name="staffmembership",
            name="role",
            field=models.CharField(choices=[("host", "Host and kitchen"), ("manager", "Manager")], default="host", max_length=16),
        ),
        migrations.AddField(
            model_name="restaurantprofile",
            name="publish_quote_accuracy",
            field=models.BooleanField(default=True, help_text="Show diners on the restaurant page how many parties were seated within 5 minutes of their quote over the last 7 days (only once at least 30 parties were seated)."),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["restaurant", "joined_at"], name="order_restaurant_joined"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["restaurant", "seated_at_time"], name="order_restaurant_seated"),
        ),
    ]
