/* ReadyTable's service worker (served at /sw.js, scope "/"): shows the web push messages the
 * outbox worker sends ("Head over now", "Nearly your turn") even when the diner's page is
 * closed or the phone is locked, and opens the diner's page when the notification is tapped.
 * It caches nothing: every page is always read fresh from the server. */
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "ReadyTable", {
      body: data.body || "",
      tag: data.tag || "readytable",
      renotify: true,
      requireInteraction: true,
      data: { url: data.url || "/" },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  var path = new URL(url, self.location.origin).pathname.replace(/\/?$/, "/");
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (new URL(windows[i].url).pathname === path && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(path);
    })
  );
});
