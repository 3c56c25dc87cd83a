// The assistant (templates/studio/assistant.html): a message or a yes/no to a costly call is
// posted with fetch and its answer read as it streams (text/event-stream, one JSON object per
// event): "append" adds a message's bubble, "text" adds to the answer being written, "call"
// adds or updates a tool call's card (job cards then poll through htmx), "done" ends it.
// Without JavaScript the forms post normally and the page comes back with the whole answer.
(function () {
  "use strict";
  var log = document.getElementById("assistant-log");
  if (!log) return;

  function lastReply() {
    var replies = log.querySelectorAll(".msg-model");
    return replies.length ? replies[replies.length - 1] : null;
  }

  function insert(html, where) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var added = [];
    while (holder.firstElementChild) {
      added.push(holder.firstElementChild);
      where.appendChild(holder.firstElementChild);
    }
    added.forEach(function (element) {
      if (window.htmx) window.htmx.process(element);
    });
    return added;
  }

  var handlers = {
    append: function (data) {
      var empty = log.querySelector(".empty");
      if (empty) empty.remove();
      insert(data.html, log);
      log.lastElementChild.scrollIntoView({ block: "end" });
    },
    text: function (data) {
      var reply = lastReply();
      if (reply) reply.querySelector(".msg-text").appendChild(document.createTextNode(data.text));
    },
    call: function (data) {
      var existing = data.id ? document.getElementById(data.id) : null;
      if (existing) {
        var holder = document.createElement("div");
        holder.innerHTML = data.html;
        var fresh = holder.firstElementChild;
        existing.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        return;
      }
      var reply = lastReply();
      if (reply) insert(data.html, reply.querySelector(".msg-calls"));
    },
  };

  function handle(frame) {
    var kind = "message";
    var data = "";
    frame.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) kind = line.slice(7);
      else if (line.indexOf("data: ") === 0) data += line.slice(6);
    });
    if (handlers[kind] && data) handlers[kind](JSON.parse(data));
  }

  async function post(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var buttons = document.querySelectorAll("form[data-assistant] button");
    buttons.forEach(function (button) { button.disabled = true; });
    log.setAttribute("aria-busy", "true");
    try {
      var response = await fetch(form.action, {
        method: "POST",
        body: body,
        headers: { "X-Assistant-Stream": "1" },
        credentials: "same-origin",
      });
      if (!response.ok || !response.body) {
        form.submit();  // let the server answer the ordinary way
        return;
      }
      if (form.id === "assistant-form") form.querySelector("textarea").value = "";
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handle(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } finally {
      log.removeAttribute("aria-busy");
      document.querySelectorAll("form[data-assistant] button").forEach(function (button) {
        button.disabled = false;
      });
      if (window.htmx) window.htmx.trigger(document.body, "jobs-changed");
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-assistant]");
    if (!form) return;
    event.preventDefault();
    post(form, event.submitter);
  });
})();
