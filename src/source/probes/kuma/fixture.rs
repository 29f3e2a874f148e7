//! Uptime Kuma fixtures: a minimal 1.x database (the `monitor` and `heartbeat` tables with the
//! real schema's names and types), the same file for the same input.
use crate::error::{Error, Result};
use rusqlite::Connection;
use std::path::Path;

/// Writes a minimal Uptime Kuma 1.x database (the `monitor` and `heartbeat` tables with the real
/// schema's column names and types) for fixtures; the same input gives the same file.
/// `heartbeats` are (monitor index into `monitors`, time text, status, ping ms, msg); an index
/// past `monitors` makes a heartbeat of a monitor the table lacks (a deleted monitor).
pub fn write_kuma_db(
    path: &Path,
    monitors: &[(&str, &str)],
    heartbeats: &[(usize, &str, i64, Option<i64>, &str)],
) -> Result<()> {
    let fail =
        |e: rusqlite::Error| Error::bad_input(path, format!("cannot write a Kuma database: {e}"));
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(path, e)),
        _ => {}
    }
    let mut conn = Connection::open(path).map_err(fail)?;
    // Fixtures may hold heartbeats of a deleted monitor (an index past `monitors`).
    conn.execute_batch("PRAGMA foreign_keys = OFF")
        .map_err(fail)?;
    let tx = conn.transaction().map_err(fail)?;
    tx.execute_batch(SCHEMA_1X).map_err(fail)?;
    for (i, (name, url)) in monitors.iter().enumerate() {
        tx.execute(
            "INSERT INTO monitor (id, name, url, type, created_date) VALUES (?1, ?2, ?3, 'http', \
             '2021-09-02 14:26:37')",
            rusqlite::params![i as i64 + 1, name, url],
        )
        .map_err(fail)?;
    }
    for (n, (monitor, time, status, ping, msg)) in heartbeats.iter().enumerate() {
        tx.execute(
            "INSERT INTO heartbeat (id, important, monitor_id, status, msg, time, ping, duration) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
            rusqlite::params![
                n as i64 + 1,
                i64::from(n == 0),
                *monitor as i64 + 1,
                status,
                msg,
                time,
                ping
            ],
        )
        .map_err(fail)?;
    }
    tx.commit().map_err(fail)
}

/// The tables Kuma 1.x creates, cut to what a heartbeat reader needs (names and types as in
/// `db/kuma.db`), with the (monitor_id, time) index its first patch adds.
const SCHEMA_1X: &str = "
CREATE TABLE [heartbeat](
  [id] INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  [important] BOOLEAN NOT NULL DEFAULT 0,
  [monitor_id] INTEGER NOT NULL REFERENCES [monitor]([id]) ON DELETE CASCADE ON UPDATE CASCADE,
  [status] SMALLINT NOT NULL,
  [msg] TEXT,
  [time] DATETIME NOT NULL,
  [ping] INTEGER,
  [duration] INTEGER NOT NULL DEFAULT 0);
CREATE TABLE monitor (
  id INTEGER not null primary key autoincrement,
  name VARCHAR(150),
  active BOOLEAN default 1 not null,
  user_id INTEGER,
  interval INTEGER default 20 not null,
  url TEXT,
  type VARCHAR(20),
  weight INTEGER default 2000,
  hostname VARCHAR(255),
  port INTEGER,
  created_date DATETIME not null);
CREATE INDEX [monitor_id] ON [heartbeat]([monitor_id]);
CREATE INDEX monitor_time_index ON heartbeat (monitor_id, time);
";
