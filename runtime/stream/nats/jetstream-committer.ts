import type { JobGraphVertex } from '../../protocol/messages.js';
import type { ConnectJetStream, JetStreamLink } from '../../platform/platform.js';
import { WrtError } from '../../errors.js';
import { property } from './properties.js';
import { unframeMessages } from './nats-sink.js';

/** Publishes at most this many messages at once (pipelined on one connection, so still in order). */
const PUBLISH_WINDOW = 1024;
/** Tries of one publish before the job fails (the same Nats-Msg-Id each time). */
const PUBLISH_TRIES = 3;

interface SinkTarget {
  vertexId: string;
  index: number;
  servers: string;
  subject: string;
}

/**
 * The commit phase of a job's `nats` sinks, run by the head: the pieces a completed checkpoint
 * covers are published in order, message k of sink part p with id `PREFIX/p/k` (`PREFIX` names
 * this run of the job: its id and a random part, so a head restarted with the same job ids cannot
 * collide within a duplicate window).
 */
export class JetStreamCommitter {
  private readonly targets = new Map<number, SinkTarget>();
  private readonly links = new Map<string, Promise<JetStreamLink>>();
  private readonly sent = new Map<number, number>();
  private readonly queue: { target: SinkTarget; data: Uint8Array; id: string }[] = [];
  private head = 0;
  private inFlight = 0;
  private error: WrtError | null = null;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Messages published and acknowledged (duplicates included). */
  published = 0;
  duplicates = 0;

  /**
   * @param sinks the job's sink vertices in graph order with their parallelism: part numbers
   *   count their subtasks in that order, as the job's output partitions do.
   * @throws WrtError `WRT_BAD_JOB_GRAPH` when the job has a nats sink and `connect` is absent.
   */
  constructor(
    sinks: readonly { vertex: JobGraphVertex; parallelism: number }[],
    private readonly connect: ConnectJetStream | undefined,
    private readonly prefix: string,
  ) {
    let part = 0;
    for (const { vertex, parallelism } of sinks) {
      for (let i = 0; i < parallelism; i++, part++) {
        if (vertex.format !== 'nats') continue;
        if (!connect)
          throw new WrtError('WRT_BAD_JOB_GRAPH', `sink "${vertex.id}" publishes to NATS, which this head cannot reach (no NATS client)`);
        this.targets.set(part, {
          vertexId: vertex.id,
          index: i,
          servers: property(vertex, 'servers', 'sink'),
          subject: property(vertex, 'subject', 'sink'),
        });
      }
    }
  }

  /** Whether output part `partition` is a nats sink's (published here, not sent to the client). */
  handles(partition: number): boolean {
    return this.targets.has(partition);
  }

  get hasSinks(): boolean {
    return this.targets.size > 0;
  }

  /** Queues the messages of a committed piece of part `partition`. */
  commit(partition: number, piece: Uint8Array): void {
    const target = this.targets.get(partition)!;
    for (const data of unframeMessages(piece)) {
      const k = this.sent.get(partition) ?? 0;
      this.sent.set(partition, k + 1);
      this.queue.push({ target, data: data.slice(), id: `${this.prefix}/${partition}/${k}` });
    }
    this.pump();
  }

  private link(servers: string): Promise<JetStreamLink> {
    let l = this.links.get(servers);
    if (!l) {
      l = this.connect!(servers);
      this.links.set(servers, l);
    }
    return l;
  }

  private pump(): void {
    while (!this.error && this.inFlight < PUBLISH_WINDOW && this.head < this.queue.length) {
      const m = this.queue[this.head++]!;
      this.inFlight++;
      void this.publish(m, 1);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.settle();
  }

  private async publish(m: { target: SinkTarget; data: Uint8Array; id: string }, attempt: number): Promise<void> {
    try {
      const link = await this.link(m.target.servers);
      const ack = await link.publish(m.target.subject, m.data, m.id);
      this.published++;
      if (ack.duplicate) this.duplicates++;
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      // "no responders": no stream takes the subject; retrying cannot help.
      if (attempt < PUBLISH_TRIES && !/no responders|503/i.test(message)) return this.publish(m, attempt + 1);
      this.error ??= new WrtError(
        'WRT_SINK_FAILED',
        `sink "${m.target.vertexId}" could not publish to "${m.target.subject}" on ${m.target.servers}: ${message}` +
          (/no responders|503/i.test(message) ? ' (no JetStream stream takes that subject; create one)' : ''),
      );
    }
    this.inFlight--;
    this.pump();
  }

  private settle(): void {
    if (this.error) for (const w of this.waiters.splice(0)) w.reject(this.error);
    else if (this.inFlight === 0 && this.head >= this.queue.length) for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Resolves once everything queued is acknowledged. @throws WrtError `WRT_SINK_FAILED` */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Closes the connections (what is still queued is dropped). */
  async close(): Promise<void> {
    this.queue.length = 0;
    this.head = 0;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((l) => l.then((x) => x.close()).catch(() => {})));
  }
}
