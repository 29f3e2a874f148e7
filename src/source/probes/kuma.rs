//! Uptime Kuma's SQLite database (`kuma.db`, 1.x and 2.x schemas) -> probe series: one per monitor,
//! heartbeats up/down as checks, maintenance as planned spans; opened read-only and immutable.
use super::store::{host_of, Counted, ProbeStoreRead, ProbeTarget, StoreBuilder};
use crate::error::{Error, Result};
use crate::model::Check;
use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

mod fixture;

pub use self::fixture::write_kuma_db;

/// The report kind of this reader.
pub const KIND: super::StoreKind = super::StoreKind::KumaDb;

/// Heartbeat status codes (Uptime Kuma's `DOWN`, `UP`, `PENDING`, `MAINTENANCE`).
const DOWN: i64 = 0;
const UP: i64 = 1;
const PENDING: i64 = 2;
const MAINTENANCE: i64 = 3;

/// Uptime Kuma 2.x's aggregate tables.
const STAT_TABLES: [&str; 3] = ["stat_minutely", "stat_hourly", "stat_daily"];

/// The file is an SQLite database (Kuma's or another: `read` tells them apart).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(b"SQLite format 3\0")
}

/// One row of the `monitor` table.
struct Monitor {
    name: Option<String>,
    url: Option<String>,
    hostname: Option<String>,
    port: Option<i64>,
    kind: Option<String>,
}

/// Reads every heartbeat of an Uptime Kuma database. Fails when the file is not an SQLite
/// database, is not Kuma's, cannot be read at all, or keeps its heartbeats elsewhere (MariaDB).
pub fn read(path: &Path) -> Result<ProbeStoreRead> {
    let head = read_head(path)?;
    if !sniff(&head) {
        return Err(Error::bad_input(
            path,
            "not an SQLite database (no \"SQLite format 3\" header)",
        ));
    }
    let conn = open_read_only(path)?;
    let sql_err = |what: &str, e: rusqlite::Error| {
        Error::bad_input(path, format!("cannot read the database ({what}): {e}"))
    };
    let tables = table_names(&conn).map_err(|e| sql_err("its table list", e))?;
    let has = |t: &str| tables.iter().any(|n| n.eq_ignore_ascii_case(t));
    if !has("heartbeat") || !has("monitor") {
        let list = if tables.is_empty() {
            "none".to_string()
        } else {
            tables.join(", ")
        };
        return Err(Error::bad_input(
            path,
            format!(
                "an SQLite database but not Uptime Kuma's: it has no heartbeat and monitor tables \
                 (tables: {list})"
            ),
        ));
    }
    let hb_cols = columns(&conn, "heartbeat").map_err(|e| sql_err("heartbeat columns", e))?;
    let mon_cols = columns(&conn, "monitor").map_err(|e| sql_err("monitor columns", e))?;
    for (table, cols, need) in [
        ("heartbeat", &hb_cols, &["monitor_id", "status", "time"][..]),
        ("monitor", &mon_cols, &["id"][..]),
    ] {
        if let Some(missing) = need.iter().find(|c| !cols.iter().any(|h| h == *c)) {
            return Err(Error::bad_input(
                path,
                format!(
                    "the {table} table has no {missing} column (columns: {}): not a schema this \
                     reader knows",
                    cols.join(", ")
                ),
            ));
        }
    }
    let mut b = StoreBuilder::new(path, KIND);
    let stat_tables: Vec<&str> = STAT_TABLES.iter().copied().filter(|t| has(t)).collect();
    note_schema(&conn, &mut b, &stat_tables, has("knex_migrations"));
    let db_config = read_db_config(path);
    // The count can fail on a damaged index while rows are still readable.
    let expected: Option<u64> = conn
        .query_row("SELECT COUNT(*) FROM heartbeat", [], |r| r.get::<_, i64>(0))
        .ok()
        .and_then(|n| u64::try_from(n).ok());
    if expected == Some(0) {
        no_heartbeats(path, &conn, &stat_tables, db_config.as_ref())?;
        b.note("the heartbeat table is empty: nothing to read (a new database?)");
    } else if let Some(cfg) = db_config.as_ref().filter(|c| c.is_mariadb()) {
        b.note(format!(
            "db-config.json beside the file says {}: this SQLite file may be an old copy, the \
             current heartbeats are in MariaDB",
            cfg.describe()
        ));
    }
    let monitors = read_monitors(&conn, &mon_cols).map_err(|e| sql_err("monitor table", e))?;
    note_wal(path, &mut b);
    let mut seen = read_heartbeats(&conn, &hb_cols, &monitors, &mut b, true);
    if let Err(e) = &seen {
        if b.tally.total() == 0 {
            // Sorting needs every row first; in storage order the rows before a damage still read.
            b.note(format!(
                "reading by monitor and time failed ({e}): read in storage order instead"
            ));
            seen = read_heartbeats(&conn, &hb_cols, &monitors, &mut b, false);
        }
    }
    let rows = b.tally.total();
    match seen {
        Err(e) if rows == 0 => return Err(sql_err("heartbeat rows", e)),
        Err(e) => {
            // A damaged page loses the rows behind it: count what the table has but was not read.
            let lost = match expected {
                Some(n) => n.saturating_sub(rows).max(1),
                None => 1,
            };
            b.tally.damaged += lost;
            let counted = if expected.is_some() {
                format!("{lost} more that the table counts were not read")
            } else {
                "the table cannot be counted: at least one more was not read".to_string()
            };
            b.problem(format!(
                "reading stopped after {rows} heartbeats: {e}; {counted}"
            ));
        }
        Ok(()) => {}
    }
    let probes = b.probe_count();
    b.note(format!(
        "{rows} heartbeats of {probes} monitors; time read as UTC text, ping as milliseconds; \
         status 0 down, 1 up, 2 pending (not a check), 3 maintenance (planned, not an outage)"
    ));
    let unused = monitors.len().saturating_sub(probes);
    if unused > 0 {
        b.note(format!("{unused} monitors have no heartbeats"));
    }
    Ok(b.finish())
}

/// Opens `path` read-only and immutable: SQLite takes no locks and writes nothing (no `-shm`, no
/// WAL replay), so a live database is never touched.
fn open_read_only(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(file_uri(path), flags)
        .map_err(|e| Error::bad_input(path, format!("cannot open as SQLite: {e}")))
}

/// `file:` URI of a path with `immutable=1`; characters that mean something in a URI are escaped.
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file:");
    // A drive letter (C:/...) needs a leading slash to read as a path, not a scheme.
    if text.as_bytes().get(1) == Some(&b':') {
        uri.push('/');
    }
    for byte in text.bytes() {
        match byte {
            b'%' | b'?' | b'#' | b' ' | 0..=0x1f | 0x7f.. => uri.push_str(&format!("%{byte:02X}")),
            _ => uri.push(byte as char),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

fn read_head(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(100)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(head)
}

fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(1))?;
    rows.map(|r| r.map(|c| c.to_ascii_lowercase())).collect()
}

/// Which schema this is: 1.x (no aggregate tables) or 2.x (stat_* tables, knex migrations).
fn note_schema(conn: &Connection, b: &mut StoreBuilder, stat_tables: &[&str], knex: bool) {
    if stat_tables.is_empty() && !knex {
        return b.note("Uptime Kuma 1.x schema (no stat_* aggregate tables)");
    }
    let latest: Option<String> = knex
        .then(|| {
            let sql = "SELECT name FROM knex_migrations ORDER BY id DESC LIMIT 1";
            conn.query_row(sql, [], |r| r.get(0)).ok()
        })
        .flatten();
    b.note(format!(
        "Uptime Kuma 2.x schema (aggregate tables: {}{}); 2.x deletes non-important heartbeats \
         older than a day, so older history is mostly state changes; the stat_* aggregates are \
         not read",
        stat_tables.join(", "),
        latest
            .map(|m| format!("; latest migration {m}"))
            .unwrap_or_default()
    ));
}

/// db-config.json in the Kuma data folder (2.x): which database holds the data.
struct DbConfig {
    kind: String,
    hostname: Option<String>,
    port: Option<String>,
    db_name: Option<String>,
}

impl DbConfig {
    fn is_mariadb(&self) -> bool {
        self.kind.ends_with("mariadb") || self.kind == "mysql"
    }

    /// Type, host, port and database name; never the user or password.
    fn describe(&self) -> String {
        let parts = [
            ("host", &self.hostname),
            ("port", &self.port),
            ("database", &self.db_name),
        ];
        let mut out = format!("type {:?}", self.kind);
        for (what, value) in parts {
            if let Some(v) = value {
                out.push_str(&format!(", {what} {v}"));
            }
        }
        out
    }
}

fn read_db_config(path: &Path) -> Option<DbConfig> {
    let file = path.parent()?.join("db-config.json");
    let text = std::fs::read_to_string(file).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let text_of = |k: &str| match value.get(k)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Some(DbConfig {
        kind: text_of("type")?,
        hostname: text_of("hostname"),
        port: text_of("port"),
        db_name: text_of("dbName"),
    })
}

/// An empty heartbeat table is an error when the heartbeats are plainly elsewhere: MariaDB per
/// db-config.json, or aggregates of heartbeats this file does not hold.
fn no_heartbeats(
    path: &Path,
    conn: &Connection,
    stat_tables: &[&str],
    cfg: Option<&DbConfig>,
) -> Result<()> {
    let aggregated: Vec<String> = stat_tables
        .iter()
        .filter_map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .ok()?;
            (n > 0).then(|| format!("{t}: {n} rows"))
        })
        .collect();
    let mariadb = cfg.filter(|c| c.is_mariadb());
    if mariadb.is_none() && aggregated.is_empty() {
        return Ok(());
    }
    let why = match mariadb {
        Some(c) => format!("db-config.json beside it says {}", c.describe()),
        None => format!(
            "it holds aggregates ({}) of heartbeats kept elsewhere; Uptime Kuma 2.x can keep them \
             in MariaDB (see db-config.json in its data folder)",
            aggregated.join(", ")
        ),
    };
    Err(Error::bad_input(
        path,
        format!(
            "this SQLite file has no heartbeats: {why}. Export them from MariaDB to a CSV and \
             read that (times are UTC; status 0 down, 1 up, 2 pending, 3 maintenance), e.g. on \
             the MariaDB server (needs the FILE privilege): SELECT 'monitor','url','time',\
             'status','ping','msg' UNION ALL SELECT m.name, m.url, h.time, h.status, \
             IFNULL(h.ping, ''), h.msg FROM heartbeat h JOIN monitor m ON m.id = h.monitor_id \
             INTO OUTFILE '/tmp/kuma-heartbeats.csv' FIELDS TERMINATED BY ',' OPTIONALLY \
             ENCLOSED BY '\"'"
        ),
    ))
}

/// Counts the not-yet-checkpointed writes an immutable open does not see.
fn note_wal(path: &Path, b: &mut StoreBuilder) {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(meta) = std::fs::metadata(&wal) {
        if meta.len() > 0 {
            b.note(format!(
                "a -wal file beside the database holds {} bytes of writes not yet in it; opened \
                 immutable (never written), those are not read: copy it with `sqlite3 kuma.db \
                 \".backup copy.db\"` (or stop Uptime Kuma) to include them",
                meta.len()
            ));
        }
    }
}

fn read_monitors(conn: &Connection, cols: &[String]) -> rusqlite::Result<HashMap<i64, Monitor>> {
    let pick = |c: &str| col_or(cols, c, &format!("NULL AS {c}"));
    let sql = format!(
        "SELECT id, {}, {}, {}, {}, {} FROM monitor",
        pick("name"),
        pick("url"),
        pick("hostname"),
        pick("port"),
        pick("type")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let Some(id) = as_int(r.get_ref(0)?) else {
            continue;
        };
        out.insert(
            id,
            Monitor {
                name: as_text(r.get_ref(1)?),
                url: as_text(r.get_ref(2)?),
                hostname: as_text(r.get_ref(3)?),
                port: as_int(r.get_ref(4)?),
                kind: as_text(r.get_ref(5)?),
            },
        );
    }
    Ok(out)
}

/// `col` when the table has it, else `alt` (older schemas lack some columns).
fn col_or(cols: &[String], col: &str, alt: &str) -> String {
    let found = cols.iter().any(|c| c == col);
    if found { col } else { alt }.to_string()
}

/// Target, host and detail of one monitor (or of an id the monitor table lacks).
fn monitor_target(id: i64, monitor: Option<&Monitor>) -> ProbeTarget {
    let Some(m) = monitor else {
        return ProbeTarget {
            target: format!("monitor #{id}"),
            vantage: None,
            host: None,
            detail: Some(format!("monitor {id}")),
        };
    };
    let name = m.name.clone().filter(|n| !n.trim().is_empty());
    // Non-HTTP monitors keep Kuma's placeholder url ("https://"): their host is `hostname`.
    let host = m
        .url
        .as_deref()
        .and_then(host_of)
        .or_else(|| m.hostname.as_deref().and_then(host_of));
    let fallback = || match (&m.hostname, m.port, &m.url) {
        (Some(h), Some(p), _) => format!("{h}:{p}"),
        (Some(h), None, _) => h.clone(),
        (None, _, Some(u)) if host.is_some() => u.clone(),
        _ => format!("monitor #{id}"),
    };
    ProbeTarget {
        target: name.unwrap_or_else(fallback),
        vantage: None,
        host,
        detail: Some(format!("monitor {id}")),
    }
}

/// Streams the heartbeats (one query, by monitor and time) into the builder.
fn read_heartbeats(
    conn: &Connection,
    cols: &[String],
    monitors: &HashMap<i64, Monitor>,
    b: &mut StoreBuilder,
    by_monitor_time: bool,
) -> rusqlite::Result<()> {
    let (id, ping) = (col_or(cols, "id", "rowid"), col_or(cols, "ping", "NULL"));
    let order = by_monitor_time.then_some(" ORDER BY monitor_id, time");
    let sql = format!(
        "SELECT {id}, monitor_id, status, time, {ping} FROM heartbeat{}",
        order.unwrap_or_default()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut probe_of: HashMap<i64, usize> = HashMap::new();
    let mut statuses = Counted::default();
    let mut orphans: BTreeMap<i64, u64> = BTreeMap::new();
    let mut kinds = Counted::default();
    let mut pings = Counted::default();
    let mut result = Ok(());
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        // get_ref fails only for a column index the query does not have.
        let cell = |i: usize| row.get_ref(i).unwrap_or(ValueRef::Null);
        // The heartbeat's id, for the problem lines only (a String per row cost more than the row).
        let hb = || as_int(cell(0)).map_or_else(|| "?".to_string(), |n| n.to_string());
        let Some(monitor_id) = as_int(cell(1)) else {
            b.damaged(format!("heartbeat {}: monitor_id is not a number", hb()));
            continue;
        };
        let probe = match probe_of.get(&monitor_id) {
            Some(&p) => p,
            None => {
                let monitor = monitors.get(&monitor_id);
                if monitor.is_none() {
                    orphans.insert(monitor_id, 0);
                } else if let Some(kind) = monitor.and_then(|m| m.kind.as_deref()) {
                    kinds.add(kind);
                }
                let p = b.probe(&monitor_target(monitor_id, monitor));
                probe_of.insert(monitor_id, p);
                p
            }
        };
        if let Some(n) = orphans.get_mut(&monitor_id) {
            *n += 1;
        }
        let Some(time) = parse_time(cell(3)) else {
            let shown = show(cell(3));
            b.damaged(format!(
                "heartbeat {}: time {shown} is not a UTC date and time",
                hb()
            ));
            continue;
        };
        let latency = match cell(4) {
            ValueRef::Null => None,
            ValueRef::Integer(n) => Some(n as f32),
            ValueRef::Real(x) if x.is_finite() => Some(x as f32),
            other => {
                pings.add(&show(other));
                None
            }
        };
        match as_int(cell(2)) {
            Some(DOWN) => b.check(probe, Check::new(time, false, latency)),
            Some(UP) => b.check(probe, Check::new(time, true, latency)),
            Some(PENDING) => b.tally.pending += 1,
            Some(MAINTENANCE) => b.maintenance(probe, time),
            _ => {
                let shown = show(cell(2));
                statuses.add(&shown);
                b.unknown(format!(
                    "heartbeat {}: status {shown} is not 0, 1, 2 or 3",
                    hb()
                ));
            }
        }
    }
    if b.tally.pending > 0 {
        b.note(format!(
            "{} pending heartbeats (status 2: neither up nor down yet) are not checks",
            b.tally.pending
        ));
    }
    if !statuses.is_empty() {
        b.note(format!(
            "{} heartbeats with a status this reader does not know were skipped: {}",
            statuses.total(),
            statuses.render()
        ));
    }
    if !pings.is_empty() {
        b.note(format!(
            "{} pings were not numbers (read as no response time): {}",
            pings.total(),
            pings.render()
        ));
    }
    if !orphans.is_empty() {
        let list: Vec<String> = orphans
            .iter()
            .map(|(id, n)| format!("#{id} ×{n}"))
            .collect();
        b.note(format!(
            "heartbeats of monitor ids not in the monitor table (deleted monitors?), read as \
             'monitor #ID': {}",
            list.join(", ")
        ));
    }
    if !kinds.is_empty() {
        b.note(format!("monitor types: {}", kinds.render()));
    }
    result
}

/// Kuma writes `YYYY-MM-DD HH:MM:SS(.sss)` in UTC; a `T` or a trailing `Z` is taken too.
fn parse_time(value: ValueRef) -> Option<DateTime<Utc>> {
    let ValueRef::Text(bytes) = value else {
        return None;
    };
    let text = std::str::from_utf8(bytes).ok()?.trim();
    // Kuma's own shape, read by position: chrono's format-string parser was a quarter of the read.
    if let Some(t) =
        crate::timefmt::parse_zoneless_utc_quick(text.strip_suffix('Z').unwrap_or(text))
    {
        return Some(t);
    }
    let plain = text.strip_suffix('Z').unwrap_or(text).replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&plain, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

fn as_int(value: ValueRef) -> Option<i64> {
    match value {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(x) if x.fract() == 0.0 && x.abs() < 1e15 => Some(x as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(value: ValueRef) -> Option<String> {
    match value {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A value as the problem lines show it.
fn show(value: ValueRef) -> String {
    match value {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a {}-byte blob", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::PathBuf;

    /// A fresh folder of this test run.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join(format!("faultline-kuma-{}", std::process::id()))
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn err_text(r: Result<ProbeStoreRead>) -> String {
        match r {
            Ok(read) => panic!("expected an error, read {:?}", read.tally),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_the_real_demo_database_without_touching_it() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/samples/demo_kuma.db"
        ));
        if !path.exists() {
            eprintln!("skipped: {} is missing", path.display());
            return;
        }
        let before = std::fs::read(path).unwrap();
        let read = read(path).unwrap();
        // Facts read with Python's sqlite3: monitor 1 "My Website" (http, https://louislam.net),
        // three heartbeats, all status 1: 14:26:37 ping 301, 14:26:52 ping 141, 14:27:12 ping 425.
        assert_eq!(read.probes.len(), 1);
        assert_eq!(read.probes[0].name, "My Website");
        assert_eq!(read.targets[0].target, "My Website");
        assert_eq!(read.targets[0].host.as_deref(), Some("louislam.net"));
        assert_eq!(read.targets[0].vantage, None);
        let got: Vec<(DateTime<Utc>, bool, Option<f32>)> = read.probes[0]
            .checks
            .iter()
            .map(|c| (c.time, c.ok(), c.latency_ms()))
            .collect();
        assert_eq!(
            got,
            [
                (utc(2021, 9, 2, 14, 26, 37), true, Some(301.0)),
                (utc(2021, 9, 2, 14, 26, 52), true, Some(141.0)),
                (utc(2021, 9, 2, 14, 27, 12), true, Some(425.0)),
            ]
        );
        assert_eq!(read.report.kind.as_str(), "kuma_db");
        assert_eq!(
            (read.report.records_read, read.report.records_skipped),
            (3, 0)
        );
        assert_eq!(read.report.first, Some(utc(2021, 9, 2, 14, 26, 37)));
        assert!(
            read.notes.iter().any(|n| n.contains("1.x schema")),
            "{:?}",
            read.notes
        );
        assert_eq!(
            std::fs::read(path).unwrap(),
            before,
            "the database was modified"
        );
        for side in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            assert!(!Path::new(&p).exists(), "{side} file created");
        }
    }

    #[test]
    fn down_up_pending_maintenance_and_null_ping_across_monitors() {
        let path = scratch("states").join("kuma.db");
        let monitors = [
            ("Shop", "https://shop.example/health"),
            ("API", "https://api.example:8443"),
        ];
        let heartbeats = [
            (0, "2024-05-01 10:00:00", UP, Some(120), "200 - OK"),
            (
                0,
                "2024-05-01 10:01:00.250",
                DOWN,
                None,
                "timeout of 48000ms exceeded",
            ),
            (0, "2024-05-01 10:02:00", PENDING, None, "retrying"),
            (0, "2024-05-01 10:03:00", MAINTENANCE, None, "Maintenance"),
            (0, "2024-05-01 10:04:00", MAINTENANCE, None, "Maintenance"),
            (0, "2024-05-01 10:05:00", UP, Some(95), "200 - OK"),
            (1, "2024-05-01 10:00:30", UP, Some(40), "200 - OK"),
            (
                1,
                "2024-05-01 10:01:30",
                DOWN,
                Some(5000),
                "503 - Service Unavailable",
            ),
        ];
        write_kuma_db(&path, &monitors, &heartbeats).unwrap();
        let read = read(&path).unwrap();
        let names: Vec<&str> = read.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Shop", "API"]);
        let hosts: Vec<Option<&str>> = read.targets.iter().map(|t| t.host.as_deref()).collect();
        assert_eq!(hosts, [Some("shop.example"), Some("api.example")]);
        let shop: Vec<(bool, Option<f32>)> = read.probes[0]
            .checks
            .iter()
            .map(|c| (c.ok(), c.latency_ms()))
            .collect();
        assert_eq!(
            shop,
            [(true, Some(120.0)), (false, None), (true, Some(95.0))]
        );
        assert_eq!(
            read.probes[0].checks[1].time,
            utc(2024, 5, 1, 10, 1, 0) + chrono::Duration::milliseconds(250)
        );
        let api: Vec<bool> = read.probes[1].checks.iter().map(|c| c.ok()).collect();
        assert_eq!(api, [true, false]);
        assert_eq!(read.planned.len(), 1);
        let span = &read.planned[0];
        assert_eq!(
            (span.probe, span.start, span.end, span.next_check, span.rows),
            (
                0,
                utc(2024, 5, 1, 10, 3, 0),
                utc(2024, 5, 1, 10, 4, 0),
                Some(utc(2024, 5, 1, 10, 5, 0)),
                2
            )
        );
        let t = read.tally;
        assert_eq!(
            (t.checks, t.planned, t.pending, t.unknown, t.damaged),
            (5, 2, 1, 0, 0)
        );
        assert_eq!(t.total(), heartbeats.len() as u64);
        assert_eq!(read.report.records_read, 7);
        assert!(
            read.notes.iter().any(|n| n.contains("1 pending")),
            "{:?}",
            read.notes
        );
    }

    #[test]
    fn unknown_status_bad_time_and_duplicates_are_counted_and_named() {
        let path = scratch("odd").join("kuma.db");
        let heartbeats = [
            (0, "2024-05-01 10:00:00", UP, Some(10), ""),
            (0, "2024-05-01 10:00:00", DOWN, Some(11), "same second"),
            (0, "2024-05-01 10:01:00", 7, None, "from the future"),
            (0, "yesterday", UP, None, ""),
            (0, "2024-05-01 10:02:00", UP, None, ""),
        ];
        write_kuma_db(&path, &[("Shop", "https://shop.example")], &heartbeats).unwrap();
        let read = read(&path).unwrap();
        let t = read.tally;
        assert_eq!(
            (t.checks, t.duplicates, t.duplicates_disagreeing),
            (2, 1, 1)
        );
        assert_eq!((t.unknown, t.damaged, t.total()), (1, 1, 5));
        // Skipped: status 7, "yesterday", and the second 10:00:00 (a duplicate).
        assert_eq!(read.report.records_skipped, 3);
        assert!(read
            .report
            .problems
            .iter()
            .any(|p| p.contains("heartbeat 3") && p.contains("status 7")));
        assert!(read
            .report
            .problems
            .iter()
            .any(|p| p.contains("heartbeat 4") && p.contains("\"yesterday\"")));
        assert!(
            read.notes.iter().any(|n| n.contains("\"7\" ×1")),
            "{:?}",
            read.notes
        );
        assert!(
            read.notes.iter().any(|n| n.contains("1 of them disagreed")),
            "{:?}",
            read.notes
        );
    }

    #[test]
    fn port_monitors_take_their_host_and_orphan_heartbeats_are_kept() {
        let path = scratch("port").join("kuma.db");
        let heartbeats = [
            (0, "2024-05-01 10:00:00", UP, Some(3), ""),
            // Monitor index 4: id 5, which the monitor table lacks (a deleted monitor).
            (4, "2024-05-01 10:00:00", DOWN, None, ""),
        ];
        write_kuma_db(&path, &[("Postgres", "https://")], &heartbeats).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE monitor SET type = 'port', hostname = 'DB.lan', port = 5432")
            .unwrap();
        drop(conn);
        let read = read(&path).unwrap();
        assert_eq!(read.targets[0].target, "Postgres");
        assert_eq!(read.targets[0].host.as_deref(), Some("db.lan"));
        assert_eq!(read.probes[1].name, "monitor #5");
        assert!(!read.probes[1].checks[0].ok());
        assert!(
            read.notes.iter().any(|n| n.contains("#5 ×1")),
            "{:?}",
            read.notes
        );
        assert!(
            read.notes.iter().any(|n| n.contains("\"port\" ×1")),
            "{:?}",
            read.notes
        );
    }

    #[test]
    fn an_sqlite_database_without_kuma_tables_is_a_clear_error() {
        let path = scratch("other").join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE orders (id INTEGER); CREATE TABLE heartbeat (x);")
            .unwrap();
        drop(conn);
        let msg = err_text(read(&path));
        assert!(
            msg.contains("not Uptime Kuma's") && msg.contains("orders"),
            "{msg}"
        );
    }

    #[test]
    fn corrupt_and_foreign_files_are_errors_not_panics() {
        let dir = scratch("corrupt");
        let fake = dir.join("fake.db");
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        std::fs::write(&fake, &bytes).unwrap();
        let msg = err_text(read(&fake));
        assert!(msg.contains("cannot"), "{msg}");
        let text = dir.join("notes.txt");
        std::fs::write(&text, "time,status\n").unwrap();
        assert!(err_text(read(&text)).contains("not an SQLite database"));
        // A real database cut short: an error, or a partial read whose rows are all accounted for.
        let good = dir.join("good.db");
        let heartbeats: Vec<(usize, String, i64, Option<i64>, &str)> = (0..3000)
            .map(|i| {
                (
                    0,
                    format!(
                        "2024-05-01 {:02}:{:02}:{:02}",
                        i / 3600,
                        i / 60 % 60,
                        i % 60
                    ),
                    UP,
                    Some(i),
                    "200 - OK padding padding padding",
                )
            })
            .collect();
        let rows: Vec<(usize, &str, i64, Option<i64>, &str)> = heartbeats
            .iter()
            .map(|h| (h.0, h.1.as_str(), h.2, h.3, h.4))
            .collect();
        write_kuma_db(&good, &[("Shop", "https://shop.example")], &rows).unwrap();
        let whole = std::fs::read(&good).unwrap();
        let cut = dir.join("cut.db");
        let mut partial = 0;
        // Every page overwritten in turn, and the file cut at a few lengths: an error, or a
        // partial read whose lost rows are counted.
        let pages = whole.len() / 4096;
        let damaged = (1..pages).map(|page| {
            let mut bytes = whole.clone();
            for (i, b) in bytes[page * 4096..(page + 1) * 4096].iter_mut().enumerate() {
                *b = (i * 37 % 251) as u8;
            }
            bytes
        });
        let cuts =
            [whole.len() / 3, whole.len() / 2, whole.len() - 100].map(|n| whole[..n].to_vec());
        for bytes in damaged.chain(cuts) {
            std::fs::write(&cut, &bytes).unwrap();
            let Ok(read) = read(&cut) else { continue };
            let t = read.tally;
            let uncounted = read
                .report
                .problems
                .iter()
                .any(|p| p.contains("cannot be counted"));
            assert!(
                t.total() == 3000 || uncounted,
                "{t:?} {:?}",
                read.report.problems
            );
            if t.damaged > 0 {
                assert!(read
                    .report
                    .problems
                    .iter()
                    .any(|p| p.contains("reading stopped after")));
                if t.checks > 0 {
                    partial += 1;
                }
            }
        }
        assert!(partial > 0, "no damaged page gave a partial read");
    }

    #[test]
    fn heartbeats_kept_in_mariadb_are_a_clear_error() {
        let dir = scratch("mariadb");
        let path = dir.join("kuma.db");
        write_kuma_db(&path, &[("Shop", "https://shop.example")], &[]).unwrap();
        // Kuma 2.x's data folder: db-config.json names the database holding the data.
        std::fs::write(
            dir.join("db-config.json"),
            r#"{"type":"mariadb","hostname":"db.lan","port":3306,"dbName":"kuma","username":"kuma","password":"s3cret"}"#,
        )
        .unwrap();
        let msg = err_text(read(&path));
        assert!(
            msg.contains("MariaDB") && msg.contains("db.lan") && msg.contains("SELECT"),
            "{msg}"
        );
        assert!(!msg.contains("s3cret"), "the password was shown: {msg}");
        // Without db-config.json, aggregates with no heartbeats say the same.
        std::fs::remove_file(dir.join("db-config.json")).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE stat_minutely (id INTEGER PRIMARY KEY, monitor_id INTEGER, timestamp \
             INTEGER, ping FLOAT, up SMALLINT, down SMALLINT);
             INSERT INTO stat_minutely VALUES (1, 1, 1714557600, 12.5, 3, 0);",
        )
        .unwrap();
        drop(conn);
        let msg = err_text(read(&path));
        assert!(
            msg.contains("stat_minutely: 1 rows") && msg.contains("MariaDB"),
            "{msg}"
        );
    }

    #[test]
    fn an_empty_new_database_reads_as_nothing_with_a_note() {
        let path = scratch("empty").join("kuma.db");
        write_kuma_db(&path, &[("Shop", "https://shop.example")], &[]).unwrap();
        let read = read(&path).unwrap();
        assert!(read.probes.is_empty());
        assert!(
            read.notes.iter().any(|n| n.contains("empty")),
            "{:?}",
            read.notes
        );
        assert!(read
            .notes
            .iter()
            .any(|n| n.contains("1 monitors have no heartbeats")));
    }

    #[test]
    fn a_wal_file_beside_the_database_is_noted() {
        let dir = scratch("wal");
        let path = dir.join("kuma.db");
        write_kuma_db(
            &path,
            &[("Shop", "https://shop.example")],
            &[(0, "2024-05-01 10:00:00", UP, None, "")],
        )
        .unwrap();
        // A database in WAL mode, as Uptime Kuma runs it: reading creates no -shm.
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        let before = std::fs::read(&path).unwrap();
        std::fs::write(dir.join("kuma.db-wal"), [0u8; 32]).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.tally.checks, 1);
        assert!(!dir.join("kuma.db-shm").exists());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(std::fs::read(dir.join("kuma.db-wal")).unwrap(), [0u8; 32]);
        assert!(
            read.notes
                .iter()
                .any(|n| n.contains("-wal") && n.contains("32 bytes")),
            "{:?}",
            read.notes
        );
    }

    #[test]
    fn the_writer_is_deterministic_and_sniffed() {
        let dir = scratch("determinism");
        let hb = [(0, "2024-05-01 10:00:00", UP, Some(5), "ok")];
        let (a, b) = (dir.join("a.db"), dir.join("b.db"));
        write_kuma_db(&a, &[("Shop", "https://shop.example")], &hb).unwrap();
        write_kuma_db(&b, &[("Shop", "https://shop.example")], &hb).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(bytes, std::fs::read(&b).unwrap());
        assert!(sniff(&bytes));
        assert!(!sniff(b"SQLite format 2"));
    }

    #[test]
    fn file_uris_escape_what_means_something_in_a_uri() {
        assert_eq!(
            file_uri(Path::new("/data/kuma #1?.db")),
            "file:/data/kuma%20%231%3F.db?mode=ro&immutable=1"
        );
        assert_eq!(
            file_uri(Path::new(r"C:\kuma\kuma.db")),
            "file:/C:/kuma/kuma.db?mode=ro&immutable=1"
        );
    }
}
