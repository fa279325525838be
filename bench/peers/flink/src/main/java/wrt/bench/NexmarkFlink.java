package wrt.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

/**
 * The reference Nexmark SQL (nexmark/nexmark's queries, resources/queries/qN.sql) on a Flink
 * MiniCluster in this JVM, over the events wrt generates ({@link NexmarkGenerator}), as Flink's
 * Nexmark runs them: one {@code datagen} table of every event, views {@code person}, {@code auction}
 * and {@code bid} filtering it by {@code event_type}, a watermark 4 s behind the event time, blackhole
 * sinks. One MiniCluster with {@code --parallelism} slots runs every query in turn, each at that
 * parallelism with a checkpoint every {@code --checkpoint-interval-ms} (0: none) to files in a
 * temporary directory, state on the heap (Flink's default, as wrt keeps its state).
 *
 * <p>Source subtask i of p generates the events with ids ≡ i (mod p) in id order, as wrt's source
 * does (the generator's index range is transposed; {@code --events} must be a multiple of p), so
 * watermarks advance alike on both.
 *
 * <p>Prints one JSON object a line per query: {@code {"query":"q0","events":N,"parallelism":P,
 * "seconds":S,"cpuSeconds":C}} — seconds of the job from its start to its end as the JobManager
 * reports it (net runtime), CPU seconds of this JVM over the job. {@code --output DIR} instead
 * collects each query's final result (changelog applied) into {@code DIR/qN.csv}: a header of the
 * column names, timestamps ISO-8601 UTC with milliseconds.
 */
public final class NexmarkFlink {
  private static final String USAGE =
      "usage: NexmarkFlink [--events N] [--parallelism P] [--checkpoint-interval-ms MS] [--queries q0,q1,...] [--seed S] [--warmup-events N] [--output DIR]";

  private NexmarkFlink() {}

  /** The cluster's configuration, applied to every job's environment too. */
  private static Configuration CONF = new Configuration();

  /** Event index k of the generator's contiguous split ranges → event id, interleaved by subtask. */
  static final class Events implements GeneratorFunction<Long, Row> {
    private static final long serialVersionUID = 1L;
    private final long seed;
    private final long events;
    private final int parallelism;
    private transient NexmarkGenerator generator;

    Events(long seed, long events, int parallelism) {
      this.seed = seed;
      this.events = events;
      this.parallelism = parallelism;
    }

    @Override
    public void open(SourceReaderContext context) {
      generator = new NexmarkGenerator(seed);
    }

    @Override
    public Row map(Long k) {
      long perSubtask = events / parallelism;
      // Split i holds k in [i·m, (i+1)·m): its j-th event is id j·p + i.
      long id = (k % perSubtask) * parallelism + k / perSubtask;
      return generator.event(id);
    }
  }

  private static final String[] VIEWS = {
    "CREATE TEMPORARY VIEW person AS SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city,"
        + " person.state, rowtime AS `dateTime`, person.extra FROM datagen WHERE event_type = 0",
    "CREATE TEMPORARY VIEW auction AS SELECT auction.id, auction.itemName, auction.description, auction.initialBid,"
        + " auction.reserve, rowtime AS `dateTime`, CAST(auction.expires AS TIMESTAMP(3)) AS expires, auction.seller,"
        + " auction.category, auction.extra FROM datagen WHERE event_type = 1",
    "CREATE TEMPORARY VIEW bid AS SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, rowtime AS `dateTime`,"
        + " bid.extra FROM datagen WHERE event_type = 2",
  };

  public static void main(String[] argv) throws Exception {
    long events = 1_000_000;
    int parallelism = 2;
    long checkpointMs = 1000;
    long seed = 0;
    long warmup = 0;
    String output = null;
    List<String> queries = List.of("q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q11");
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      String v = i + 1 < argv.length ? argv[i + 1] : null;
      switch (a) {
        case "--events" -> events = Long.parseLong(need(a, v));
        case "--parallelism" -> parallelism = Integer.parseInt(need(a, v));
        case "--checkpoint-interval-ms" -> checkpointMs = Long.parseLong(need(a, v));
        case "--seed" -> seed = Long.parseLong(need(a, v));
        case "--warmup-events" -> warmup = Long.parseLong(need(a, v));
        case "--queries" -> queries = List.of(need(a, v).split(","));
        case "--output" -> output = need(a, v);
        default -> {
          System.err.println("unknown option " + a + "\n" + USAGE);
          System.exit(2);
        }
      }
      i++;
    }
    if (events <= 0 || parallelism <= 0 || events % parallelism != 0) {
      System.err.println("--events must be a positive multiple of --parallelism\n" + USAGE);
      System.exit(2);
    }
    for (String q : queries) query(q); // fail early on an unknown query

    Configuration conf = new Configuration();
    // A failing query fails the run (with checkpoints on, Flink's default would restart it forever).
    conf.setString("restart-strategy.type", "none");
    // Checkpoints to files, as wrt writes them to its --checkpoint-dir (the JobManager's memory
    // storage refuses state over 5 MB, which q3, q4 and q8 pass).
    Path checkpoints = Files.createTempDirectory("wrt-flink-checkpoints-");
    conf.setString("execution.checkpointing.storage", "filesystem");
    conf.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
    CONF = conf;
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build());
    cluster.start();
    TestStreamEnvironment.setAsContext(cluster, parallelism);
    try {
      if (warmup > 0) {
        long w = warmup - warmup % parallelism;
        for (String q : queries) run(q, Math.max(w, parallelism), parallelism, checkpointMs, seed, null);
      }
      for (String q : queries) {
        Map<String, Object> r = run(q, events, parallelism, checkpointMs, seed, output);
        System.out.println(json(r));
        System.out.flush();
      }
    } finally {
      TestStreamEnvironment.unsetAsContext();
      cluster.close();
      try (var files = Files.walk(checkpoints)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0);
  }

  private static String need(String flag, String value) {
    if (value == null) {
      System.err.println(flag + " needs a value\n" + USAGE);
      System.exit(2);
    }
    return value;
  }

  private static String query(String q) throws IOException {
    try (InputStream in = NexmarkFlink.class.getResourceAsStream("/queries/" + q + ".sql")) {
      if (in == null) throw new IllegalArgumentException("unknown query " + q + " (q0, q1, q2, q3, q4, q5, q7, q8, q11)");
      StringBuilder sql = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
        if (!line.startsWith("--")) sql.append(line).append('\n');
      return sql.toString();
    }
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static Map<String, Object> run(String q, long events, int parallelism, long checkpointMs, long seed, String output)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.configure(CONF);
    env.setParallelism(parallelism);
    if (checkpointMs > 0) env.enableCheckpointing(checkpointMs);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    tEnv.getConfig().set("table.local-time-zone", "UTC");
    DataGeneratorSource<Row> source =
        new DataGeneratorSource<>(new Events(seed, events, parallelism), events, RateLimiterStrategy.noOp(), NexmarkGenerator.EVENT_TYPE);
    DataStream<Row> stream = env.fromSource(source, WatermarkStrategy.noWatermarks(), "datagen");
    Table datagen =
        tEnv.fromDataStream(
            stream,
            Schema.newBuilder()
                .columnByExpression("rowtime", "CAST(`dateTime` AS TIMESTAMP(3))")
                .watermark("rowtime", "rowtime - INTERVAL '4' SECOND")
                .build());
    tEnv.createTemporaryView("datagen", datagen);
    for (String view : VIEWS) tEnv.executeSql(view);
    Table result = tEnv.sqlQuery(query(q));

    long cpu0 = cpuNanos();
    long wall0 = System.nanoTime();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("query", q);
    r.put("events", events);
    r.put("parallelism", parallelism);
    if (output != null) {
      collect(result, Path.of(output, q + ".csv"));
      r.put("seconds", (System.nanoTime() - wall0) / 1e9);
    } else {
      Schema.Builder sink = Schema.newBuilder();
      for (Column c : result.getResolvedSchema().getColumns())
        sink.column(c.getName(), org.apache.flink.table.types.utils.DataTypeUtils.removeTimeAttribute(c.getDataType()));
      TableResult done = result.executeInsert(TableDescriptor.forConnector("blackhole").schema(sink.build()).build());
      JobExecutionResult job = done.getJobClient().orElseThrow().getJobExecutionResult().get();
      r.put("seconds", job.getNetRuntime(TimeUnit.MILLISECONDS) / 1000.0);
    }
    r.put("wallSeconds", (System.nanoTime() - wall0) / 1e9);
    r.put("cpuSeconds", (cpuNanos() - cpu0) / 1e9);
    return r;
  }

  /** The final rows of `result` (its changelog applied) as CSV with a header, written to `path` through a temporary name. */
  private static void collect(Table result, Path path) throws Exception {
    List<String> names = result.getResolvedSchema().getColumnNames();
    Map<String, Integer> rows = new LinkedHashMap<>();
    try (CloseableIterator<Row> it = result.execute().collect()) {
      while (it.hasNext()) {
        Row row = it.next();
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < row.getArity(); i++) fields.add(csv(row.getField(i)));
        String line = String.join(",", fields);
        int delta = row.getKind() == RowKind.INSERT || row.getKind() == RowKind.UPDATE_AFTER ? 1 : -1;
        rows.merge(line, delta, Integer::sum);
      }
    }
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    Files.createDirectories(path.getParent());
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      w.write(String.join(",", names) + "\n");
      for (Map.Entry<String, Integer> e : rows.entrySet()) for (int n = 0; n < e.getValue(); n++) w.write(e.getKey() + "\n");
    }
    Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");

  private static String csv(Object v) {
    if (v == null) return "";
    if (v instanceof LocalDateTime t) return ISO.format(t);
    if (v instanceof java.time.Instant t) return ISO.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    if (v instanceof BigDecimal d) return d.stripTrailingZeros().toPlainString();
    String s = v.toString();
    return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  private static String json(Map<String, Object> r) {
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, Object> e : r.entrySet()) {
      if (b.length() > 1) b.append(',');
      b.append('"').append(e.getKey()).append("\":");
      Object v = e.getValue();
      b.append(v instanceof String ? "\"" + v + "\"" : String.valueOf(v));
    }
    return b.append('}').toString();
  }
}
