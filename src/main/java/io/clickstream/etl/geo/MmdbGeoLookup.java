package io.clickstream.etl.geo;

import io.clickstream.etl.cache.StateCache;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks addresses up in one or more .mmdb files (DB-IP ships IPv4 and IPv6 as two files; the first file that knows
 * an address answers), with a bounded cache, and picks up new versions of the files while running: every
 * {@code checkIntervalMs} it compares their modification time and size with those it loaded, and swaps in freshly
 * opened readers when they changed. A new file that cannot be opened leaves the old one in use.
 */
public final class MmdbGeoLookup implements GeoLookup {
    private static final Logger LOG = LoggerFactory.getLogger(MmdbGeoLookup.class);

    private final List<Path> files;
    private final long checkIntervalMs;
    private final LongSupplier clock;
    private final StateCache<String, GeoInfo> cache;
    private List<MmdbDatabase> databases;
    private List<String> loadedStamps;
    private long lastCheck;
    private long reloads;

    public MmdbGeoLookup(List<Path> files, long checkIntervalMs, long cacheSize, LongSupplier clock)
            throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no geo database files given");
        }
        this.files = List.copyOf(files);
        this.checkIntervalMs = checkIntervalMs;
        this.clock = clock;
        this.cache = new StateCache<>(cacheSize);
        this.loadedStamps = stamps();
        this.databases = openAll();
        this.lastCheck = clock.getAsLong();
        LOG.info(
                "Geo databases {}: {}",
                files,
                databases.stream().map(MmdbDatabase::type).toList());
    }

    @Override
    public GeoInfo lookup(String ip) {
        maybeReload();
        if (ip == null || ip.isEmpty()) {
            return GeoInfo.EMPTY;
        }
        // The text is the key, so an address met before is neither parsed nor checked again (an IPv6 literal's
        // parse is the costliest part of a lookup); the answer for one no database places is kept too.
        GeoInfo info = cache.getIfPresent(ip);
        if (info == null) {
            InetAddress address = IpAddresses.parse(ip);
            info = address == null || IpAddresses.isNonPublic(address) ? GeoInfo.EMPTY : resolve(address);
            cache.put(ip, info);
        }
        return info;
    }

    private GeoInfo resolve(InetAddress address) {
        for (MmdbDatabase db : databases) {
            try {
                GeoInfo info = db.lookup(address);
                if (info != null) {
                    return info;
                }
            } catch (IOException | RuntimeException e) {
                // A damaged entry must not stop the stream: no geo for this address.
                LOG.debug("geo lookup of {} in {} failed: {}", address, db.type(), e.toString());
            }
        }
        return GeoInfo.EMPTY;
    }

    /** How many times new files were loaded since start. */
    public long reloads() {
        return reloads;
    }

    private void maybeReload() {
        long now = clock.getAsLong();
        if (now - lastCheck < checkIntervalMs) {
            return;
        }
        lastCheck = now;
        List<String> current;
        try {
            current = stamps();
        } catch (IOException e) {
            LOG.warn("Cannot read geo database files {}, keeping the loaded ones: {}", files, e.toString());
            return;
        }
        if (current.equals(loadedStamps)) {
            return;
        }
        try {
            List<MmdbDatabase> fresh = openAll();
            List<MmdbDatabase> old = databases;
            databases = fresh;
            loadedStamps = current;
            cache.clear();
            reloads++;
            closeAll(old);
            LOG.info("Reloaded geo databases {}", files);
        } catch (IOException | RuntimeException e) {
            loadedStamps = current; // do not retry a broken file every interval; a further change is tried again
            LOG.warn("New geo database files {} cannot be opened, keeping the loaded ones: {}", files, e.toString());
        }
    }

    private List<String> stamps() throws IOException {
        List<String> stamps = new ArrayList<>();
        for (Path f : files) {
            stamps.add(Files.getLastModifiedTime(f).toMillis() + ":" + Files.size(f));
        }
        return stamps;
    }

    private List<MmdbDatabase> openAll() throws IOException {
        List<MmdbDatabase> opened = new ArrayList<>();
        try {
            for (Path f : files) {
                opened.add(MmdbDatabase.open(f));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
        return opened;
    }

    private static void closeAll(List<MmdbDatabase> dbs) {
        for (MmdbDatabase db : dbs) {
            try {
                db.close();
            } catch (IOException e) {
                LOG.debug("closing geo database: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closeAll(databases);
    }
}
