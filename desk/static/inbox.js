// The live inbox (desk/inbox.py): the queue stays current without a reload, the tab's title
// counts what this browser has not opened since it changed, and, when the recruiter turned
// them on, a notification and a short sound announce new escalations and applicant messages.
(function () {
  "use strict";
  var body = document.body;
  if (!body.dataset.inbox) return;
  var key = "helpdesk-seen-" + body.dataset.user;
  var notifyKey = "helpdesk-notify-" + body.dataset.user;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var known = null; // id -> activity at the previous poll

  function seen() {
    try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function markSeen(id, activity) {
    var all = seen();
    all[id] = activity;
    localStorage.setItem(key, JSON.stringify(all));
  }
  function notifying() {
    return localStorage.getItem(notifyKey) === "1" && "Notification" in window &&
      Notification.permission === "granted";
  }
  function beep() {
    try {
      var Audio = window.AudioContext || window.webkitAudioContext;
      var context = new Audio();
      var tone = context.createOscillator();
      var volume = context.createGain();
      tone.frequency.value = 880;
      volume.gain.value = 0.05;
      tone.connect(volume);
      volume.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.15);
    } catch (e) { /* no sound where the browser allows none */ }
  }
  function announce(escalation) {
    if (!notifying()) return;
    new Notification(body.dataset.newText, { body: escalation.name, tag: "escalation-" + escalation.id });
    beep();
  }

  // the escalation page: opening it marks it read here; new lines come into view
  var page = body.dataset.escalation;
  if (page) markSeen(page, body.dataset.activity);
  var transcript = document.getElementById("transcript");
  if (transcript && "MutationObserver" in window) {
    new MutationObserver(function () {
      var last = transcript.lastElementChild;
      if (last) last.scrollIntoView({ block: "nearest" });
    }).observe(transcript, { childList: true });
  }

  // forms that change something for good ask first (resolve: the bot takes the chat back)
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // a canned reply starts the reply, to edit before sending
  var canned = document.getElementById("canned-reply");
  var replyText = document.getElementById("reply-text");
  if (canned && replyText) {
    canned.addEventListener("change", function () {
      if (!canned.value) return;
      replyText.value = replyText.value ? replyText.value + "\n\n" + canned.value : canned.value;
      replyText.focus();
      canned.value = "";
    });
  }

  // the queue: the notification switch
  var toggle = document.getElementById("notify-toggle");
  if (toggle) {
    var chosen = function () {
      localStorage.setItem(notifyKey, toggle.checked ? "1" : "0");
      if (toggle.checked && "Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
    };
    // this script is deferred: a switch turned on before it ran is kept, not undone
    if (toggle.checked) chosen();
    else toggle.checked = localStorage.getItem(notifyKey) === "1";
    toggle.addEventListener("change", chosen);
  }

  function refreshQueue() {
    var list = document.getElementById("queue-list");
    if (!list) return Promise.resolve();
    return fetch(location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue-list");
        if (fresh && fresh.innerHTML !== list.innerHTML) list.innerHTML = fresh.innerHTML;
      });
  }
  function markUnread(activity) {
    var read = seen();
    var unread = 0;
    Object.keys(activity).forEach(function (id) {
      var fresh = !read[id] || read[id] < activity[id];
      if (fresh && id !== page) unread += 1;
      var row = document.querySelector('#queue-list tr[data-id="' + id + '"]');
      if (row) row.classList.toggle("unread", fresh && id !== page);
    });
    document.title = (unread ? "(" + unread + ") " : "") + baseTitle;
    body.dataset.unread = String(unread);
  }
  function poll() {
    fetch("/desk/inbox.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (!data) return;
        var activity = {};
        data.escalations.forEach(function (escalation) {
          activity[escalation.id] = escalation.activity;
          // the open escalation's own messages show on its page, unless the tab is hidden
          if (known && known[escalation.id] !== escalation.activity &&
              (String(escalation.id) !== page || document.hidden)) {
            announce(escalation);
          }
        });
        known = activity;
        return refreshQueue().then(function () { markUnread(activity); });
      })
      .catch(function () { /* the next round tries again */ });
  }
  poll();
  setInterval(poll, Number(body.dataset.inboxSeconds || 5) * 1000);
})();
