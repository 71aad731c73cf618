// A thin adapter between the page and @overseer/client (served from the jar at /client/): the few calls the
// page makes, and the events it shows in its raw view.
import { OverseerClient } from "/client/index.js";

async function all(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function describe(state, detail) {
  switch (state) {
    case "open":
      return "connected";
    case "connecting":
      return "connecting…";
    case "reconnecting":
      return detail && detail.delayMs !== undefined
        ? `reconnecting (attempt ${detail.attempt}, in ${Math.round(detail.delayMs / 100) / 10} s)…`
        : `reconnecting (attempt ${detail?.attempt ?? 1})…`;
    case "closed":
      return detail && detail.reason ? `disconnected: ${detail.reason}` : "disconnected";
    default:
      return "not connected";
  }
}

/**
 * Connects the page: `onState(state, text)` follows the WebSocket, `onFrame(direction, object)` sees what the
 * page sends and every run event it receives.
 */
export function connect({ token, onState, onFrame }) {
  const client = new OverseerClient({ url: location.origin, token: () => token });
  client.on("state", (state, detail) => onState(state === "idle" ? "offline" : state, describe(state, detail)));
  client.on("connection", (info) => onFrame("in", { type: "connection_established", ...info }));
  client.on("error", (error) => onFrame("in", { type: "client_error", code: error.code, message: error.message }));

  const watch = (run) => {
    const iterate = run[Symbol.asyncIterator].bind(run);
    return {
      get runId() { return run.runId; },
      get threadId() { return run.threadId; },
      accepted: run.accepted,
      done: run.done,
      cancel() {
        onFrame("out", { type: "cancel_run", run_id: run.runId });
        return run.cancel();
      },
      approve(toolCallId, approved, reason) {
        onFrame("out", { type: "approve_tool", run_id: run.runId, tool_call_id: toolCallId, approved, reason });
        return run.approve(toolCallId, approved, reason);
      },
      async *[Symbol.asyncIterator]() {
        for await (const event of { [Symbol.asyncIterator]: iterate }) {
          onFrame("in", event);
          yield event;
        }
      },
    };
  };

  return {
    open() {
      client.connect().catch((error) => onState("closed", `disconnected: ${error.message}`));
    },
    close() {
      client.close();
    },
    listThreads: () => all(client.threads.list({ limit: 100 })),
    createThread: () => client.threads.create({}),
    renameThread: (threadId, title) => client.threads.update(threadId, { title }),
    deleteThread: (threadId) => client.threads.delete(threadId),
    listMessages: (threadId) => all(client.threads.messages(threadId, { limit: 100 })),
    subscribe(threadId, onRun) {
      onFrame("out", { type: "subscribe", thread_id: threadId });
      client.subscribe(threadId, (run) => onRun(watch(run))).catch((error) =>
        onFrame("in", { type: "client_error", code: error.code, message: error.message }));
    },
    startRun({ content, threadId }) {
      onFrame("out", { type: "start_agent", content, thread_id: threadId ?? null });
      return watch(client.startRun({ content, threadId }));
    },
  };
}
