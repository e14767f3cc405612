"""Insights keep one thing of their own: the what-if runs, because playing the forecast day
through the simulator takes tens of seconds and the screen shows the last one kept. Every
other figure is read from what orders/ stores, fresh on every visit."""

from django.db import models
from django.db.models import Q

from orders.models import RestaurantProfile


class WhatIfRun(models.Model):
    RUNNING, DONE, FAILED = "running", "done", "failed"
    STATUSES = [(RUNNING, "Being worked out"), (DONE, "Done"), (FAILED, "Failed")]

    restaurant = models.ForeignKey(RestaurantProfile, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The forecast day that was played.")
    status = models.CharField(max_length=10, choices=STATUSES, default=RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    message = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # One run at a time per restaurant: a second manager's click is told it is going.
            models.UniqueConstraint(
                fields=["restaurant"], condition=Q(status="running"), name="one_what_if_running"
            ),
        ]
        indexes = [models.Index(fields=["restaurant", "status", "finished_at"])]

    def __str__(self):
        return f"What-if for {self.restaurant} on {self.day} ({self.status})"
