package io.clickstream.etl.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hashes under {@code <prefix>:<key>} (the key carries its namespace, e.g. {@code user:u1}), with a TTL on the key
 * refreshed by every write. A load is one script call returning every key's fields, a write one script call that
 * sets and deletes fields: one round trip and one command each per batch.
 */
public final class RedisHashStore implements HashStore {
    /** KEYS: per lookup its hash, then its older keys; ARGV: per lookup the number of older keys. */
    private static final byte[] LOAD = ("local out = {} local k = 1 "
                    + "for i = 1, #ARGV do "
                    + "  local n = tonumber(ARGV[i]) local fields = redis.call('HGETALL', KEYS[k]) local older = {} "
                    + "  if #fields == 0 then for j = 1, n do older[j] = redis.call('GET', KEYS[k + j]) end end "
                    + "  out[i] = {fields, older} k = k + 1 + n "
                    + "end return out")
            .getBytes(StandardCharsets.UTF_8);
    /**
     * ARGV: the TTL, then per key the mode (0 update, 1 replace, 2 merge), the number of fields to set and to delete,
     * the (field, value) pairs and the fields to delete. An update skips a key that does not exist and returns its
     * index; it asks with the PEXPIRE it needs anyway (0 when there is no key), so the usual update is two commands,
     * PEXPIRE and HSET. A replace then deletes the fields it did not set. The first command that needs memory is an
     * HSET, never after a DEL: Redis refuses a script's first write command that needs memory when maxmemory is
     * reached, and lets the rest of a script that has written once go on (a PEXPIRE before it is harmless either
     * way). HSET and HDEL take at most 200 fields per call: unpack() of more would overflow Lua's C stack.
     */
    private static final byte[] WRITE = ("local a = 2 local missing = {} "
                    + "local function hdel(k, list) local i = 0 "
                    + "  while i < #list do local n = math.min(200, #list - i) "
                    + "    redis.call('HDEL', k, unpack(list, i + 1, i + n)) i = i + n end end "
                    + "for idx, k in ipairs(KEYS) do "
                    + "  local mode = ARGV[a] local nset = tonumber(ARGV[a + 1]) "
                    + "  local ndel = tonumber(ARGV[a + 2]) a = a + 3 "
                    + "  if mode ~= '0' or redis.call('PEXPIRE', k, ARGV[1]) == 1 then "
                    + "    local before = {} if mode == '1' then before = redis.call('HKEYS', k) end "
                    + "    local i = 0 "
                    + "    while i < nset do local n = math.min(200, nset - i) "
                    + "      redis.call('HSET', k, unpack(ARGV, a + 2 * i, a + 2 * (i + n) - 1)) i = i + n end "
                    + "    if mode == '1' then "
                    + "      local keep = {} for j = 0, nset - 1 do keep[ARGV[a + 2 * j]] = true end "
                    + "      local gone = {} for _, f in ipairs(before) do if not keep[f] then gone[#gone + 1] = f end end "
                    + "      if nset == 0 then redis.call('DEL', k) else hdel(k, gone) end "
                    + "    end "
                    + "    local d = a + 2 * nset local del = {} "
                    + "    for j = 0, ndel - 1 do del[#del + 1] = ARGV[d + j] end "
                    + "    hdel(k, del) "
                    + "    if mode ~= '0' and ((nset > 0 and ndel == 0) or redis.call('EXISTS', k) == 1) then "
                    + "      redis.call('PEXPIRE', k, ARGV[1]) end "
                    + "  else missing[#missing + 1] = idx end "
                    + "  a = a + 2 * nset + ndel "
                    + "end return missing")
            .getBytes(StandardCharsets.UTF_8);
    /** KEYS: the hash, then plain keys to delete; ARGV: the erasure time. */
    private static final byte[] DELETE_UP_TO = ("local t = redis.call('HGET', KEYS[1], 't') local gone = 0 "
                    + "if (not t) or tonumber(t) <= tonumber(ARGV[1]) then "
                    + "  gone = redis.call('DEL', KEYS[1]) end "
                    + "for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end return gone")
            .getBytes(StandardCharsets.UTF_8);

    /** A lookup's argument on a cluster: no older keys. */
    private static final List<byte[]> ZEROS = List.of(ascii(0));

    private final RedisConnection connection;
    private final String prefix;

    public RedisHashStore(RedisSettings settings) {
        this.connection = new RedisConnection(settings);
        this.prefix = settings.keyPrefix() + ":";
    }

    @Override
    public String describe(String key) {
        return prefix + key;
    }

    private byte[] key(String k) {
        return (prefix + k).getBytes(StandardCharsets.UTF_8);
    }

    private List<byte[]> keys(List<String> keys) {
        List<byte[]> raw = new ArrayList<>(keys.size());
        keys.forEach(k -> raw.add(key(k)));
        return raw;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Hash> load(List<Lookup> lookups) {
        if (connection.cluster()) {
            return loadFromCluster(lookups);
        }
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> counts = new ArrayList<>(lookups.size());
        for (Lookup l : lookups) {
            keys.add(key(l.key()));
            l.olderKeys().forEach(k -> keys.add(key(k)));
            counts.add(ascii(l.olderKeys().size()));
        }
        return hashes((List<Object>) connection.binary(jedis -> jedis.eval(LOAD, keys, counts)));
    }

    /**
     * One script call per slot, pipelined. The keys of the layout before the hash are not read: they lie in other
     * slots, and a cluster is new to the job (docs/running.md), so it holds none.
     */
    @SuppressWarnings("unchecked")
    private List<Hash> loadFromCluster(List<Lookup> lookups) {
        List<byte[]> keys = new ArrayList<>(lookups.size());
        lookups.forEach(l -> keys.add(key(l.key())));
        Hash[] out = new Hash[lookups.size()];
        for (RedisConnection.SlotCall call :
                connection.evalPerSlot(LOAD, keys, List.of(), java.util.Collections.nCopies(keys.size(), ZEROS))) {
            List<Hash> group = hashes((List<Object>) call.reply());
            for (int j = 0; j < call.keys().size(); j++) {
                int i = call.keys().get(j);
                // As the contract says: a value per older key, none there (null).
                out[i] = new Hash(
                        group.get(j).fields(),
                        java.util.Collections.nCopies(lookups.get(i).olderKeys().size(), null));
            }
        }
        return java.util.Arrays.asList(out);
    }

    @SuppressWarnings("unchecked")
    private static List<Hash> hashes(List<Object> replies) {
        List<Hash> out = new ArrayList<>(replies.size());
        for (Object reply : replies) {
            List<Object> pair = (List<Object>) reply;
            List<byte[]> flat = (List<byte[]>) pair.get(0);
            Map<String, byte[]> fields = new LinkedHashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                fields.put(new String(flat.get(i), StandardCharsets.UTF_8), flat.get(i + 1));
            }
            out.add(new Hash(fields, (List<byte[]>) pair.get(1)));
        }
        return out;
    }

    @Override
    public List<byte[]> loadValues(List<String> keys) {
        if (connection.cluster()) {
            return java.util.Collections.nCopies(keys.size(), null); // the layout before the hash: none on a cluster
        }
        byte[][] raw = keys(keys).toArray(new byte[0][]);
        return connection.binary(jedis -> jedis.mget(raw));
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<String> write(Map<String, Changes> changes, long ttlMs) {
        if (changes.isEmpty()) {
            return List.of();
        }
        List<String> names = new ArrayList<>(changes.keySet());
        List<byte[]> keys = new ArrayList<>(changes.size());
        // Per key: its mode, the number of fields to set and to delete, the (field, value) pairs, the fields to delete.
        List<List<byte[]>> parts = new ArrayList<>(changes.size());
        changes.forEach((k, c) -> {
            keys.add(key(k));
            List<byte[]> p = new ArrayList<>(3 + 2 * c.set().size() + c.delete().size());
            p.add(ascii(c.mode().ordinal()));
            p.add(ascii(c.set().size()));
            p.add(ascii(c.delete().size()));
            c.set().forEach((field, value) -> {
                p.add(field.getBytes(StandardCharsets.UTF_8));
                p.add(value);
            });
            c.delete().forEach(field -> p.add(field.getBytes(StandardCharsets.UTF_8)));
            parts.add(p);
        });
        List<byte[]> ttl = List.of(ascii(ttlMs));
        List<String> out = new ArrayList<>();
        if (!connection.cluster()) {
            List<byte[]> args = new ArrayList<>(ttl);
            parts.forEach(args::addAll);
            List<Long> missing = (List<Long>) connection.binary(jedis -> jedis.eval(WRITE, keys, args));
            missing.forEach(i -> out.add(names.get(i.intValue() - 1)));
            return out;
        }
        for (RedisConnection.SlotCall call : connection.evalPerSlot(WRITE, keys, ttl, parts)) {
            for (Long i : (List<Long>) call.reply()) {
                out.add(names.get(call.keys().get(i.intValue() - 1)));
            }
        }
        return out;
    }

    @Override
    public boolean deleteUpTo(String key, long erasedAt, List<String> others) {
        List<byte[]> keys = new ArrayList<>(1 + others.size());
        keys.add(key(key));
        others.forEach(k -> keys.add(key(k)));
        if (connection.cluster()) {
            // The other keys lie in other slots: deleted one by one (they are the layout before the hash).
            for (byte[] other : keys.subList(1, keys.size())) {
                connection.binary(jedis -> jedis.del(other));
            }
            keys.subList(1, keys.size()).clear();
        }
        Object gone = connection.binary(jedis -> jedis.eval(DELETE_UP_TO, keys, List.of(ascii(erasedAt))));
        return gone instanceof Long n && n > 0;
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        connection.close();
    }
}
