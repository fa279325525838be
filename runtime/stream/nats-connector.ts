/**
 * NATS JetStream as a replayable source and an exactly-once sink of stream jobs (vertex format
 * `nats`), through the platform's {@link ConnectJetStream} (Node nodes and heads; a browser node has
 * none).
 *
 * Source properties:
 * - `servers` (required): `nats://host:port`, comma-separated for several.
 * - `stream` (required): the JetStream stream to read.
 * - `subjects` (required): comma-separated subject filters (wildcards allowed). They are the
 *   source's splits, as Kafka partitions are in Flink's Kafka source: filter j is read by subtask
 *   j mod parallelism, each in stream order; a subtask with no filter finishes at once. Filters
 *   should not overlap (a message matching two is read twice).
 * - `payload`: `json` (default; one JSON object per message, fields by column name), `csv` (one
 *   record) or `text` (one Utf8 column) — record-format.ts.
 * - `timestamp`: the column holding event time (Timestamp or I64 ms); without it, the time the
 *   stream stored the message.
 * - The vertex's `idleTimeoutMs` (SDK source option) applies per filter: a filter without messages
 *   for that long stops holding back the subtask's event time.
 * - `bounded`: `latest` reads the messages the stream held when the source first opened, then
 *   finishes (Flink's `setBounded(latest)`); without it the source reads on until the job is
 *   stopped or cancelled.
 * A checkpoint records, per filter, the stream sequence of the next message; a restored source
 * reads on from there, so replay after a failure repeats exactly what the failed attempt read after
 * its checkpoint. Nothing is acknowledged on the server (ordered consumers, no acks).
 *
 * Sink properties: `servers`, `subject` (where each row is published; a stream must take it) and
 * `payload` as above. The sink is two-phase: rows go out only when the checkpoint after them
 * completes, published by the head ({@link JetStreamCommitter}) with a `Nats-Msg-Id` unique to
 * the job, sink subtask and row, so a publish retried after a lost acknowledgement is dropped by
 * the stream's deduplication (within its duplicate window, 2 minutes by default) — exactly once.
 *
 * Errors: `WRT_BAD_JOB_GRAPH` (properties), `WRT_INPUT_NOT_FOUND` (no such stream), `WRT_BAD_INPUT`
 * (a message does not parse; the message names subject and sequence), `WRT_CONNECTION` (the
 * server cannot be reached or the connection was lost; retryable: the job restarts from its last
 * checkpoint), `WRT_SINK_FAILED` (a publish was refused: no stream takes the subject).
 *
 * The parts live in runtime/stream/nats/: properties.ts, nats-source.ts, nats-sink.ts and
 * jetstream-committer.ts; this module is their index.
 */
export { NatsSource } from './nats/nats-source.js';
export { NatsSink, frameMessages, unframeMessages } from './nats/nats-sink.js';
export { JetStreamCommitter } from './nats/jetstream-committer.js';
