// The escalation page: new messages of the conversation appear without a reload (every 1.5 s).
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list) return;
  function speakerClass(speaker) {
    return speaker === "applicant" ? "applicant" : speaker === "bot" ? "bot" : "recruiter";
  }
  function speakerName(speaker) {
    if (speaker === "applicant") return list.dataset.applicant;
    if (speaker === "bot") return list.dataset.bot;
    return speaker;
  }
  function refresh() {
    fetch(list.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (!data) return;
        var shown = list.children.length;
        data.lines.slice(shown).forEach(function (line) {
          var item = document.createElement("li");
          item.className = "line " + (line.kind === "recruiter" || !line.kind ? speakerClass(line.speaker) : line.kind);
          var who = document.createElement("span");
          who.className = "speaker";
          who.textContent = speakerName(line.speaker);
          item.appendChild(who);
          if (line.how) {  // the channel it went by, or "Internal note"
            var how = document.createElement("span");
            how.className = "how" + (line.kind === "note" ? " internal" : "");
            how.textContent = line.how;
            item.appendChild(how);
          }
          var time = document.createElement("time");
          time.setAttribute("datetime", line.at);
          time.textContent = line.when || "";
          item.appendChild(time);
          var text = document.createElement("span");
          text.className = "text";
          text.textContent = line.text;
          item.appendChild(text);
          list.appendChild(item);
        });
      })
      .catch(function () { /* the next round tries again */ });
  }
  setInterval(refresh, 1500);
})();
