// A thin adapter between the page and @overseer/client (served from the jar at /client/): the few calls the
// page makes, and the frames it shows in its raw view.
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
 * Connects the page: `onState(state, text)` follows the WebSocket, `onFrame(direction, object)` sees every frame
 * the client sends and receives, as it goes over the wire.
 */
export function connect({ token, onState, onFrame }) {
  const client = new OverseerClient({ url: location.origin, token: () => token });
  client.on("state", (state, detail) => onState(state === "idle" ? "offline" : state, describe(state, detail)));
  client.on("frame", onFrame);
  client.on("error", (error) => onFrame("in", { type: "client_error", code: error.code, message: error.message }));

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
      client.subscribe(threadId, onRun).catch((error) =>
        onFrame("in", { type: "client_error", code: error.code, message: error.message }));
    },
    startRun: ({ content, threadId }) => client.startRun({ content, threadId }),
  };
}
