// The web chat page (chat.html): talks to chat/messages; served from here so the page needs no inline script.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var endpoint = form.getAttribute("data-endpoint");
  var KEY = "ughi.session";
  var session = localStorage.getItem(KEY);
  if (!session || !/^[A-Za-z0-9_-]{16,64}$/.test(session)) {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    session = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    localStorage.setItem(KEY, session);
  }
  var language = (navigator.language || "").slice(0, 8);
  var busy = false;

  function newId() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  function addText(cls, text) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    div.textContent = text;  // what the person typed is never parsed as HTML
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function addReply(reply) {
    var div = document.createElement("div");
    div.className = "msg bot";
    div.innerHTML = reply.html;  // rendered and escaped by the server (only b, i, a tags)
    var rows = (reply.buttons || []).slice();
    // reply-keyboard buttons become quick replies that send their text; the web cannot share a phone
    // or a location the way a messenger app does, so those are typed instead
    (reply.keyboard || []).forEach(function (row) {
      var quick = row.filter(function (k) { return !k.request_contact && !k.request_location; })
        .map(function (k) { return { text: k.text, typed: true }; });
      if (quick.length) { rows.push(quick); }
    });
    if (rows.length) {
      var box = document.createElement("div");
      box.className = "buttons";
      rows.forEach(function (row) {
        var r = document.createElement("div");
        r.className = "row";
        row.forEach(function (b) {
          var el;
          if (b.url) {
            el = document.createElement("a");
            el.href = b.url; el.target = "_blank"; el.rel = "noopener noreferrer";
          } else {
            el = document.createElement("button");
            el.type = "button";
            el.addEventListener("click", function () {
              send(b.typed ? { text: b.text } : { data: b.data }, b.text);
            });
          }
          el.textContent = b.text;
          r.appendChild(el);
        });
        box.appendChild(r);
      });
      div.appendChild(box);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  function send(payload, echo) {
    if (busy) { return; }
    busy = true;
    if (echo) { addText("me", echo); }
    payload.session = session;
    payload.message_id = newId();
    if (language) { payload.language = language; }
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (res) {
      if (!res.ok) { throw new Error(String(res.status)); }
      return res.json();
    }).then(function (body) {
      body.replies.forEach(addReply);
    }).catch(function () {
      var e = document.createElement("div");
      e.className = "error";
      e.textContent = "⚠ Չհաջողվեց · Не получилось · Could not send. Try again.";
      log.appendChild(e);
    }).finally(function () { busy = false; input.focus(); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ text: text }, text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  send({ text: "/start" });
})();
