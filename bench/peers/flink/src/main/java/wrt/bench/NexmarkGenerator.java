package wrt.bench;

import java.io.Serializable;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.types.Row;

/**
 * wrt's Nexmark generator (runtime/stream/nexmark/generator.ts) in Java, formula for formula and
 * draw for draw, so Flink reads exactly the events wrt's `nexmark` source makes: event {@code id}
 * draws from {@code new Random(id + seedOffset)}; persons, auctions and bids 1:3:46 by id; event
 * time {@code 2015-07-15T00:00:00Z + floor(id * 10^6 / rate) / 1000} ms at 10 000 events/s. Both
 * follow the reference generators (Apache Beam's sdks/java/nexmark, nexmark/nexmark's Flink port);
 * where wrt departs from them on purpose (a seeded channel URL, bidder ids offset once), so does
 * this port. {@link #event} returns Flink Nexmark's {@code datagen} row: event_type (0 person, 1
 * auction, 2 bid), then a person, an auction and a bid row of which only the event's own is set,
 * then the event's time.
 */
public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  static final long BASE_TIME_MS = 1_436_918_400_000L; // 2015-07-15T00:00:00Z
  static final long FIRST_PERSON_ID = 1000;
  static final long FIRST_AUCTION_ID = 1000;
  static final long FIRST_CATEGORY_ID = 10;
  private static final int PERSON_PROPORTION = 1;
  private static final int AUCTION_PROPORTION = 3;
  private static final int TOTAL_PROPORTION = 50;
  private static final int NUM_CATEGORIES = 5;
  private static final int PERSON_ID_LEAD = 10;
  private static final int AUCTION_ID_LEAD = 10;
  private static final int HOT_BATCH = 100;
  private static final int HOT_AUCTION_RATIO = 2;
  private static final int HOT_SELLERS_RATIO = 4;
  private static final int HOT_BIDDERS_RATIO = 4;
  private static final int NUM_ACTIVE_PEOPLE = 1000;
  private static final int NUM_IN_FLIGHT_AUCTIONS = 100;
  private static final int AVG_PERSON_BYTES = 200;
  private static final int AVG_AUCTION_BYTES = 500;
  private static final int AVG_BID_BYTES = 100;
  private static final int MIN_STRING_LENGTH = 3;
  private static final int HOT_CHANNELS_RATIO = 2;
  private static final int CHANNELS_NUMBER = 10_000;
  private static final String[] HOT_CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] US_CITIES = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"
  };
  private static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final long TWO_48 = 1L << 48;

  /** The datagen row type: event_type, person, auction, bid, dateTime (TIMESTAMP(3) as LocalDateTime, UTC). */
  public static final TypeInformation<Row> PERSON_TYPE =
      Types.ROW_NAMED(
          new String[] {"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"},
          Types.LONG, Types.STRING, Types.STRING, Types.STRING, Types.STRING, Types.STRING, Types.LOCAL_DATE_TIME, Types.STRING);
  public static final TypeInformation<Row> AUCTION_TYPE =
      Types.ROW_NAMED(
          new String[] {"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"},
          Types.LONG, Types.STRING, Types.STRING, Types.LONG, Types.LONG, Types.LOCAL_DATE_TIME, Types.LOCAL_DATE_TIME, Types.LONG,
          Types.LONG, Types.STRING);
  public static final TypeInformation<Row> BID_TYPE =
      Types.ROW_NAMED(
          new String[] {"auction", "bidder", "price", "channel", "url", "dateTime", "extra"},
          Types.LONG, Types.LONG, Types.LONG, Types.STRING, Types.STRING, Types.LOCAL_DATE_TIME, Types.STRING);
  public static final TypeInformation<Row> EVENT_TYPE =
      Types.ROW_NAMED(
          new String[] {"event_type", "person", "auction", "bid", "dateTime"},
          Types.INT, PERSON_TYPE, AUCTION_TYPE, BID_TYPE, Types.LOCAL_DATE_TIME);

  private final long seedOffset;
  private final long eventsPerSecond;
  private transient Random r;
  private transient Map<Integer, String> urls;

  public NexmarkGenerator(long seed) {
    if (seed < 0) throw new IllegalArgumentException("seed must be non-negative, got " + seed);
    // seed * the golden-ratio constant mod 2^48 (the low 48 bits of the 64-bit product).
    this.seedOffset = (seed * 0x9e3779b97f4a7c15L) & (TWO_48 - 1);
    this.eventsPerSecond = 10_000;
  }

  /** 0 person, 1 auction, 2 bid. */
  static int eventType(long id) {
    long rem = id % TOTAL_PROPORTION;
    return rem < PERSON_PROPORTION ? 0 : rem < PERSON_PROPORTION + AUCTION_PROPORTION ? 1 : 2;
  }

  long timestamp(long id) {
    return BASE_TIME_MS + Math.floorDiv(Math.floorDiv(id * 1_000_000L, eventsPerSecond), 1000L);
  }

  static LocalDateTime time(long ms) {
    return LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000L), (int) Math.floorMod(ms, 1000L) * 1_000_000, ZoneOffset.UTC);
  }

  private static long lastBase0PersonId(long id) {
    long epoch = id / TOTAL_PROPORTION;
    long offset = Math.min(id % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
    return epoch * PERSON_PROPORTION + offset;
  }

  private static long lastBase0AuctionId(long id) {
    long epoch = id / TOTAL_PROPORTION;
    long offset = id % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION) {
      epoch--;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  private static long nextBase0PersonId(long id, Random r) {
    long numPeople = lastBase0PersonId(id) + 1;
    long active = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
    return numPeople - active + r.nextInt((int) (active + PERSON_ID_LEAD));
  }

  private static long nextBase0AuctionId(long id, Random r) {
    long max = lastBase0AuctionId(id);
    long min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
    return min + r.nextInt((int) (max - min + 1 + AUCTION_ID_LEAD));
  }

  private static long nextPrice(Random r) {
    // StrictMath (fdlibm), as V8's Math.pow: both sides compute the same double.
    return Math.round(StrictMath.pow(10, r.nextDouble() * 6) * 100);
  }

  private static String nextString(Random r, int maxLength, char space) {
    int len = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH);
    char[] c = new char[len];
    for (int i = 0; i < len; i++) c[i] = r.nextInt(13) == 0 ? space : (char) ('a' + r.nextInt(26));
    String s = new String(c);
    return space == ' ' ? s.strip() : s;
  }

  private static String nextExactString(Random r, int length) {
    char[] c = new char[length];
    int rnd = 0;
    int n = 0;
    for (int i = 0; i < length; i++) {
      if (n == 0) {
        rnd = r.nextInt();
        n = 6;
      }
      c[i] = (char) ('a' + rnd % 26);
      rnd /= 26;
      n--;
    }
    return new String(c);
  }

  private static String nextExtra(Random r, int currentSize, int average) {
    if (currentSize > average) return "";
    int desired = average - currentSize;
    int delta = (int) Math.round(desired * 0.2);
    int min = desired - delta;
    return nextExactString(r, min + (delta == 0 ? 0 : r.nextInt(2 * delta)));
  }

  /** Event {@code id} as a datagen row. */
  public Row event(long id) {
    if (r == null) {
      r = new Random(0);
      urls = new HashMap<>();
    }
    r.setSeed((id + seedOffset) % TWO_48);
    long t = timestamp(id);
    LocalDateTime when = time(t);
    int type = eventType(id);
    Row person = type == 0 ? person(id, when) : null;
    Row auction = type == 1 ? auction(id, t, when) : null;
    Row bid = type == 2 ? bid(id, when) : null;
    return Row.of(type, person, auction, bid, when);
  }

  private Row person(long id, LocalDateTime dateTime) {
    String name = FIRST_NAMES[r.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[r.nextInt(LAST_NAMES.length)];
    String email = nextString(r, 7, ' ') + "@" + nextString(r, 5, ' ') + ".com";
    StringBuilder card = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      if (i > 0) card.append(' ');
      String part = Integer.toString(r.nextInt(10000));
      card.append("0".repeat(4 - part.length())).append(part);
    }
    String city = US_CITIES[r.nextInt(US_CITIES.length)];
    String state = US_STATES[r.nextInt(US_STATES.length)];
    int size = 8 + name.length() + email.length() + card.length() + city.length() + state.length();
    String extra = nextExtra(r, size, AVG_PERSON_BYTES);
    return Row.of(lastBase0PersonId(id) + FIRST_PERSON_ID, name, email, card.toString(), city, state, dateTime, extra);
  }

  private Row auction(long id, long t, LocalDateTime dateTime) {
    long seller =
        (r.nextInt(HOT_SELLERS_RATIO) > 0 ? (lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH : nextBase0PersonId(id, r)) + FIRST_PERSON_ID;
    long category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    long initialBid = nextPrice(r);
    long eventsForAuctions = (NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION;
    long horizonMs = timestamp(id + eventsForAuctions) - t;
    long expires = t + 1 + r.nextInt((int) Math.max(horizonMs * 2, 1));
    String itemName = nextString(r, 20, ' ');
    String description = nextString(r, 100, ' ');
    long reserve = initialBid + nextPrice(r);
    int size = 8 + itemName.length() + description.length() + 8 + 8 + 8 + 8 + 8;
    String extra = nextExtra(r, size, AVG_AUCTION_BYTES);
    long auctionId = lastBase0AuctionId(id) + FIRST_AUCTION_ID;
    return Row.of(auctionId, itemName, description, initialBid, reserve, dateTime, time(expires), seller, category, extra);
  }

  private Row bid(long id, LocalDateTime dateTime) {
    long auction =
        (r.nextInt(HOT_AUCTION_RATIO) > 0 ? (lastBase0AuctionId(id) / HOT_BATCH) * HOT_BATCH : nextBase0AuctionId(id, r)) + FIRST_AUCTION_ID;
    long bidder =
        (r.nextInt(HOT_BIDDERS_RATIO) > 0 ? (lastBase0PersonId(id) / HOT_BATCH) * HOT_BATCH + 1 : nextBase0PersonId(id, r)) + FIRST_PERSON_ID;
    long price = nextPrice(r);
    String channel;
    String url;
    if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
      int i = r.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i];
      url = channelUrl(-1 - i);
    } else {
      int c = r.nextInt(CHANNELS_NUMBER);
      channel = "channel-" + c;
      url = channelUrl(c);
    }
    String extra = nextExtra(r, 8 + 8 + 8 + 8, AVG_BID_BYTES);
    return Row.of(auction, bidder, price, channel, url, dateTime, extra);
  }

  private String channelUrl(int c) {
    String url = urls.get(c);
    if (url != null) return url;
    Random u = new Random(Math.floorMod(seedOffset + TWO_48 / 2 + c + 16, TWO_48));
    url = "https://www.nexmark.com/" + nextString(u, 5, '_') + "/" + nextString(u, 5, '_') + "/" + nextString(u, 5, '_') + "/item.htm?query=1";
    // As wrt (JavaScript's Math.abs of an int widens): channel 1's reversed bits stay positive.
    if (c >= 0 && u.nextInt(10) > 0) url += "&channel_id=" + Math.abs((long) Integer.reverse(c));
    urls.put(c, url);
    return url;
  }
}
