// Served by the test's own HTTP server: @overseer/client from this origin, the Overseer server elsewhere.
import { OverseerClient } from "/client/index.js";

window.overseerFromAfar = async (base, token) => {
  const client = new OverseerClient({ url: base, token, reconnect: false });
  const result = { origin: location.origin };
  try {
    const created = await client.threads.create({ title: "from afar" });
    result.created = created.id;
    result.threads = [];
    for await (const thread of client.threads.list()) result.threads.push(thread.id);
    const run = client.startRun({ content: "What is 6*7?", threadId: created.id });
    result.types = [];
    for await (const event of run) result.types.push(event.type);
    result.output = (await run.done).payload.output;
  } catch (error) {
    result.error = { code: error.code ?? null, message: error.message, status: error.status ?? null };
  } finally {
    client.close();
  }
  return result;
};
window.ready = true;
