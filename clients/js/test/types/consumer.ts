// Compiled (never run) by `npm test`: the emitted declarations must narrow events by their type.
import { OverseerClient, OverseerError, type RunEvent, type ConnectionState } from '../../types/index.js';

declare const client: OverseerClient;

export async function narrowing(): Promise<number> {
  const run = client.startRun({ content: 'What is 6*7?' });
  let total = 0;
  for await (const event of run) {
    const e: RunEvent = event;
    switch (e.type) {
      case 'tool_completed': {
        const ms: number = e.payload.duration_ms;
        const error: string | null = e.payload.error;
        total += ms + (error === null ? 0 : 1);
        break;
      }
      case 'approval_requested': {
        const resolved = await run.approve(e.payload.tool_call_id, true);
        const by: 'user' | 'timeout' = resolved.payload.by;
        total += by.length;
        break;
      }
      case 'run_failed': {
        const code: string = e.payload.code;
        total += code.length;
        break;
      }
      default:
        break;
    }
  }
  const state: ConnectionState = client.state;
  const terminal = await run.done;
  if (terminal.type === 'run_completed') total += terminal.payload.output.length;
  try {
    await client.threads.get('thr_x');
  } catch (error) {
    if (error instanceof OverseerError) total += (error.status ?? 0) + error.code.length;
  }
  return total + state.length;
}
