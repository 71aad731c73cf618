// The playground: a page over @overseer/client. Every text that comes from the server is set with textContent.
import { connect } from "/playground/overseer.js";

const TOKEN_KEY = "overseer.playground.token";
const RAW_LIMIT = 500;

const $ = (id) => document.getElementById(id);
const ui = {
  connection: $("connection"),
  connectionText: $("connection-text"),
  rawToggle: $("raw-toggle"),
  signOut: $("sign-out"),
  signIn: $("sign-in"),
  tokenForm: $("token-form"),
  token: $("token"),
  signInError: $("sign-in-error"),
  workspace: $("workspace"),
  newThread: $("new-thread"),
  threadList: $("thread-list"),
  threadsError: $("threads-error"),
  chatTitle: $("chat-title"),
  runStatus: $("run-status"),
  cancelRun: $("cancel-run"),
  messages: $("messages"),
  composer: $("composer"),
  message: $("message"),
  send: $("send"),
  chatError: $("chat-error"),
  raw: $("raw"),
  rawList: $("raw-list"),
  rawClear: $("raw-clear"),
};

const state = {
  overseer: null,
  threads: [],
  threadId: null,
  run: null,
  subscribed: new Set(),
  shownRuns: new Set(),
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function json(value) {
  return JSON.stringify(value, null, 2);
}

function errorText(error) {
  if (!error) return "unknown error";
  const code = error.code ? ` (${error.code})` : "";
  return `${error.message || String(error)}${code}`;
}

// ---------------------------------------------------------------- sign-in

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  if (!token) return;
  signIn(token);
});

ui.signOut.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.overseer) state.overseer.close();
  state.overseer = null;
  state.threadId = null;
  state.run = null;
  state.subscribed.clear();
  state.shownRuns.clear();
  ui.messages.replaceChildren();
  ui.threadList.replaceChildren();
  ui.workspace.hidden = true;
  ui.signOut.hidden = true;
  ui.rawToggle.hidden = true;
  ui.signIn.hidden = false;
  ui.token.value = "";
  setConnection("offline", "not connected");
  ui.token.focus();
});

async function signIn(token) {
  ui.signInError.textContent = "";
  const overseer = connect({
    token,
    onState: (name, detail) => setConnection(name, detail),
    onFrame: (direction, frame) => logRaw(direction, frame),
  });
  try {
    const threads = await overseer.listThreads();
    sessionStorage.setItem(TOKEN_KEY, token);
    state.overseer = overseer;
    ui.signIn.hidden = true;
    ui.workspace.hidden = false;
    ui.signOut.hidden = false;
    ui.rawToggle.hidden = false;
    renderThreads(threads);
    overseer.open();
    ui.message.focus();
  } catch (error) {
    overseer.close();
    sessionStorage.removeItem(TOKEN_KEY);
    ui.signInError.textContent = `The server refused this token: ${errorText(error)}`;
  }
}

function setConnection(name, detail) {
  ui.connection.dataset.state = name;
  ui.connectionText.textContent = detail || name;
}

// ---------------------------------------------------------------- threads

ui.newThread.addEventListener("click", async () => {
  ui.threadsError.textContent = "";
  try {
    const thread = await state.overseer.createThread();
    await refreshThreads();
    await openThread(thread.id);
  } catch (error) {
    ui.threadsError.textContent = `Could not create a thread: ${errorText(error)}`;
  }
});

async function refreshThreads() {
  try {
    renderThreads(await state.overseer.listThreads());
  } catch (error) {
    ui.threadsError.textContent = `Could not list threads: ${errorText(error)}`;
  }
}

function titleOf(thread) {
  return thread.title || `Untitled ${thread.id.slice(-6)}`;
}

function renderThreads(threads) {
  state.threads = threads;
  ui.threadList.replaceChildren(...threads.map(threadItem));
  if (threads.length === 0) {
    ui.threadList.append(el("li", "hint", "No threads yet: send a message to start one."));
  }
  const current = threads.find((thread) => thread.id === state.threadId);
  if (current) ui.chatTitle.textContent = titleOf(current);
}

function threadItem(thread) {
  const item = el("li", "thread");
  item.dataset.threadId = thread.id;
  if (thread.id === state.threadId) item.setAttribute("aria-current", "true");
  const open = el("button", "open", titleOf(thread));
  open.type = "button";
  open.addEventListener("click", () => openThread(thread.id));
  const tools = el("div", "tools");
  const rename = el("button", "secondary", "Rename");
  rename.type = "button";
  rename.setAttribute("aria-label", `Rename ${titleOf(thread)}`);
  rename.addEventListener("click", () => showRename(item, thread));
  const remove = el("button", "danger", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete ${titleOf(thread)}`);
  remove.addEventListener("click", () => showDelete(item, thread));
  tools.append(rename, remove);
  item.append(open, tools);
  return item;
}

function showRename(item, thread) {
  const form = el("form");
  const id = `rename-${thread.id}`;
  const label = el("label", null, "New title");
  label.htmlFor = id;
  const input = el("input");
  input.id = id;
  input.value = thread.title || "";
  input.maxLength = 200;
  const tools = el("div", "tools");
  const save = el("button", null, "Save");
  save.type = "submit";
  const cancel = el("button", "secondary", "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", () => item.replaceWith(threadItem(thread)));
  tools.append(save, cancel);
  form.append(label, input, tools);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ui.threadsError.textContent = "";
    try {
      const title = input.value.trim();
      await state.overseer.renameThread(thread.id, title === "" ? null : title);
      await refreshThreads();
    } catch (error) {
      ui.threadsError.textContent = `Could not rename: ${errorText(error)}`;
    }
  });
  item.replaceChildren(form);
  input.focus();
  input.select();
}

function showDelete(item, thread) {
  const question = el("p", null, `Delete “${titleOf(thread)}” and its messages?`);
  const tools = el("div", "tools");
  const yes = el("button", "danger", "Delete for good");
  yes.type = "button";
  const no = el("button", "secondary", "Keep");
  no.type = "button";
  no.addEventListener("click", () => item.replaceWith(threadItem(thread)));
  yes.addEventListener("click", async () => {
    ui.threadsError.textContent = "";
    try {
      await state.overseer.deleteThread(thread.id);
      if (state.threadId === thread.id) newConversation();
      await refreshThreads();
      ui.newThread.focus();
    } catch (error) {
      ui.threadsError.textContent = `Could not delete: ${errorText(error)}`;
    }
  });
  tools.append(yes, no);
  item.replaceChildren(question, tools);
  no.focus();
}

function newConversation() {
  state.threadId = null;
  ui.chatTitle.textContent = "New conversation";
  ui.messages.replaceChildren();
  setRunStatus(null);
}

async function openThread(threadId) {
  state.threadId = threadId;
  ui.chatError.textContent = "";
  for (const item of ui.threadList.children) {
    if (item.dataset.threadId === threadId) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
  const thread = state.threads.find((candidate) => candidate.id === threadId);
  ui.chatTitle.textContent = thread ? titleOf(thread) : threadId;
  ui.messages.replaceChildren();
  setRunStatus(null);
  follow(threadId);
  try {
    const messages = await state.overseer.listMessages(threadId);
    if (state.threadId !== threadId) return;
    for (const message of messages) {
      const view = messageView(message.role);
      view.text.textContent = message.content;
      ui.messages.append(view.item);
    }
  } catch (error) {
    ui.chatError.textContent = `Could not load the messages: ${errorText(error)}`;
  }
}

// Runs started on the thread elsewhere (another tab, the HTTP API) are shown as they happen.
function follow(threadId) {
  if (state.subscribed.has(threadId)) return;
  state.subscribed.add(threadId);
  state.overseer.subscribe(threadId, (run) => {
    if (state.threadId !== threadId || state.shownRuns.has(run.runId)) return;
    const user = messageView("user");
    user.text.textContent = "(sent from another tab or the HTTP API)";
    ui.messages.append(user.item);
    showRun(run);
    // The user's message is stored with the run's start: show what was asked.
    state.overseer.listMessages(threadId).then((messages) => {
      const asked = messages.find((message) => message.role === "user" && message.run_id === run.runId);
      if (asked) user.text.textContent = asked.content;
    }, () => {});
  });
}

// ---------------------------------------------------------------- runs

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const content = ui.message.value.trim();
  if (!content || state.run) return;
  ui.message.value = "";
  startRun(content);
});

ui.message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});

ui.cancelRun.addEventListener("click", async () => {
  const run = state.run;
  if (!run) return;
  ui.cancelRun.disabled = true;
  try {
    await run.cancel();
  } catch (error) {
    ui.chatError.textContent = `Could not cancel: ${errorText(error)}`;
    ui.cancelRun.disabled = false;
  }
});

function messageView(role) {
  const item = el("li", `message ${role}`);
  const who = el("div", "who", role === "user" ? "You" : "Assistant");
  const body = el("div", "body");
  const text = el("p", "text");
  item.append(who, body);
  body.append(text);
  return { item, body, text };
}

async function startRun(content) {
  ui.chatError.textContent = "";
  const user = messageView("user");
  user.text.textContent = content;
  ui.messages.append(user.item);
  let run;
  try {
    run = state.overseer.startRun({ content, threadId: state.threadId ?? undefined });
  } catch (error) {
    ui.chatError.textContent = `Could not start the run: ${errorText(error)}`;
    return;
  }
  const isNewThread = state.threadId === null;
  showRun(run);
  try {
    await run.accepted;
    state.shownRuns.add(run.runId);
    if (isNewThread) {
      state.threadId = run.threadId;
      follow(run.threadId);
      await refreshThreads();
    }
  } catch (error) {
    // The refusal (thread_busy, too_many_runs, ...) is shown by showRun's loop.
  }
}

async function showRun(run) {
  state.run = run;
  if (run.runId) state.shownRuns.add(run.runId);
  const answer = messageView("assistant");
  answer.text.setAttribute("aria-live", "polite");
  answer.item.dataset.run = "";
  ui.messages.append(answer.item);
  const cards = new Map();
  let streamed = false;
  setRunStatus("queued");
  ui.cancelRun.hidden = false;
  ui.cancelRun.disabled = false;
  ui.send.disabled = true;
  try {
    for await (const event of run) {
      if (run.runId) answer.item.dataset.run = run.runId;
      const payload = event.payload ?? {};
      switch (event.type) {
        case "agent_started":
          setRunStatus("running");
          break;
        case "agent_thinking": {
          answer.body.insertBefore(el("p", "thinking", payload.text), answer.text);
          break;
        }
        case "agent_message_delta":
          streamed = true;
          answer.text.append(document.createTextNode(payload.text ?? ""));
          break;
        case "tool_executing": {
          const card = toolCard(cards, payload, answer);
          card.state.textContent = "running";
          card.root.dataset.state = "running";
          setRunStatus("running");
          break;
        }
        case "tool_progress": {
          const card = toolCard(cards, payload, answer);
          if (typeof payload.total === "number" && payload.total > 0) {
            card.progress.max = payload.total;
            card.progress.value = Math.min(payload.progress, payload.total);
            card.progress.setAttribute("aria-valuetext", `${payload.progress} of ${payload.total}`);
          } else {
            card.progress.removeAttribute("value");
          }
          card.progress.hidden = false;
          card.progressText.textContent = payload.message
            ? `${payload.progress}/${payload.total ?? "?"} ${payload.message}`
            : `${payload.progress}/${payload.total ?? "?"}`;
          break;
        }
        case "tool_completed": {
          const card = toolCard(cards, payload, answer);
          if (payload.error) {
            card.root.dataset.state = "error";
            card.state.textContent = "failed";
            card.result.textContent = payload.error;
          } else {
            card.root.dataset.state = "completed";
            card.state.textContent = "done";
            card.result.textContent = json(payload.result);
            if (!card.progress.hidden && card.progress.max) card.progress.value = card.progress.max;
          }
          card.duration.textContent = `${payload.duration_ms} ms`;
          break;
        }
        case "approval_requested":
          setRunStatus("requires_action");
          toolCard(cards, payload, answer);
          approvalPrompt(run, payload, answer);
          break;
        case "approval_resolved": {
          const prompt = answer.body.querySelector(`[data-approval="${CSS.escape(payload.tool_call_id)}"]`);
          if (prompt) {
            const verdict = payload.approved ? "Approved" : "Rejected";
            const why = payload.reason ? `: ${payload.reason}` : "";
            const by = payload.by === "timeout" ? " (timed out)" : "";
            prompt.replaceChildren(el("p", null, `${verdict}${why}${by}`));
          }
          setRunStatus("running");
          break;
        }
        case "agent_completed":
          if (!streamed && payload.output) answer.text.textContent = payload.output;
          break;
        case "agent_error":
          answer.body.append(el("p", "failure", `${payload.code}: ${payload.message}`));
          break;
        case "run_completed":
          if (!streamed && payload.output && !answer.text.textContent) answer.text.textContent = payload.output;
          setRunStatus("completed");
          break;
        case "run_failed":
          answer.body.append(el("p", "failure", `Run failed: ${payload.message} (${payload.code})`));
          setRunStatus("failed");
          break;
        case "run_cancelled":
          answer.body.append(el("p", "failure", "Cancelled."));
          setRunStatus("cancelled");
          break;
        default:
          break;
      }
    }
  } catch (error) {
    answer.body.append(el("p", "failure", errorText(error)));
    setRunStatus("failed", errorText(error));
  } finally {
    for (const prompt of answer.body.querySelectorAll("[data-approval] button")) prompt.disabled = true;
    if (state.run === run) {
      state.run = null;
      ui.cancelRun.hidden = true;
      ui.send.disabled = false;
    }
  }
}

function toolCard(cards, payload, answer) {
  const known = cards.get(payload.tool_call_id);
  if (known) {
    if (payload.arguments !== undefined) known.args.textContent = json(payload.arguments);
    return known;
  }
  const root = el("article", "tool-card");
  root.dataset.toolCallId = payload.tool_call_id;
  root.dataset.state = "pending";
  const heading = el("h3");
  const name = el("span", "mono", payload.tool ?? "tool");
  const state = el("span", "state", "waiting");
  heading.append(name, state);
  const details = el("dl");
  const args = el("pre", "arguments", payload.arguments === undefined ? "" : json(payload.arguments));
  const result = el("pre", "result");
  const duration = el("span", "duration mono");
  for (const [term, value] of [["arguments", args], ["result", result], ["duration", duration]]) {
    const dd = el("dd");
    dd.append(value);
    details.append(el("dt", null, term), dd);
  }
  const progress = el("progress");
  progress.hidden = true;
  progress.setAttribute("aria-label", `${payload.tool ?? "tool"} progress`);
  const progressText = el("span", "hint");
  root.append(heading, details, progress, progressText);
  answer.body.insertBefore(root, answer.text);
  const card = { root, state, args, result, duration, progress, progressText };
  cards.set(payload.tool_call_id, card);
  return card;
}

function approvalPrompt(run, payload, answer) {
  const prompt = el("div", "approval");
  prompt.dataset.approval = payload.tool_call_id;
  prompt.setAttribute("role", "group");
  prompt.setAttribute("aria-label", `Approve ${payload.tool}`);
  const question = el("p", null, `Allow ${payload.tool} with ${JSON.stringify(payload.arguments)}?`);
  const reasonId = `reason-${payload.tool_call_id}-${run.runId}`;
  const label = el("label", null, "Reason (optional, sent with a rejection)");
  label.htmlFor = reasonId;
  const reason = el("input");
  reason.id = reasonId;
  const choices = el("div", "choices");
  const approve = el("button", null, "Approve");
  approve.type = "button";
  const reject = el("button", "danger", "Reject");
  reject.type = "button";
  const answerWith = async (approved) => {
    approve.disabled = true;
    reject.disabled = true;
    try {
      const why = reason.value.trim();
      await run.approve(payload.tool_call_id, approved, why === "" ? undefined : why);
    } catch (error) {
      ui.chatError.textContent = `Could not answer the approval: ${errorText(error)}`;
      approve.disabled = false;
      reject.disabled = false;
    }
  };
  approve.addEventListener("click", () => answerWith(true));
  reject.addEventListener("click", () => answerWith(false));
  choices.append(approve, reject);
  prompt.append(question, label, reason, choices);
  answer.body.insertBefore(prompt, answer.text);
  approve.focus();
}

function setRunStatus(status, detail) {
  if (!status) {
    ui.runStatus.textContent = "";
    delete ui.runStatus.dataset.status;
    return;
  }
  ui.runStatus.dataset.status = status;
  const words = {
    queued: "Run queued",
    running: "Run running",
    requires_action: "Waiting for your approval",
    completed: "Run completed",
    failed: "Run failed",
    cancelled: "Run cancelled",
  };
  ui.runStatus.textContent = detail ? `${words[status]}: ${detail}` : words[status];
}

// ---------------------------------------------------------------- raw events

ui.rawToggle.addEventListener("click", () => {
  const show = ui.raw.hidden;
  ui.raw.hidden = !show;
  ui.rawToggle.setAttribute("aria-pressed", String(show));
});

ui.rawClear.addEventListener("click", () => ui.rawList.replaceChildren());

function logRaw(direction, frame) {
  const item = el("li");
  item.append(el("div", "dir", `${direction === "out" ? "→ sent" : "← received"} ${new Date().toISOString()}`));
  item.append(el("pre", null, typeof frame === "string" ? frame : JSON.stringify(frame)));
  ui.rawList.append(item);
  while (ui.rawList.children.length > RAW_LIMIT) ui.rawList.firstElementChild.remove();
}

// ---------------------------------------------------------------- start

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  ui.token.value = saved;
  signIn(saved);
}
