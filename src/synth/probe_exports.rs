//! The aug15 probes as other monitors export them, from the same checks as `probes.rs`: an
//! UptimeRobot dashboard CSV, Pingdom `summary.outage` and `results` JSON, a Nagios log (with the
//! 13 Aug blip as a SOFT flap and a planned downtime), Zabbix problems as NDJSON and as the
//! Problems page's CSV, and the checks themselves as an Uptime Kuma database and a Prometheus
//! `query_range` JSON. Written into a folder beside the scenario (`fixtures/aug15-probe-exports`),
//! so a report over the scenario does not read the same probes twice.
use super::probes::{check_times, local_check, remote_check, Outcome};
use super::story;
use chrono::{DateTime, Duration, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder beside `fixtures/aug15`.
pub const PROBE_EXPORT_DIR: &str = "aug15-probe-exports";
/// What every monitor checks.
pub const URL: &str = "https://sipsvr01.example.net/";
/// The Nagios service in planned downtime (not a probe of the story: its failure is not an outage).
pub const BACKUP_SERVICE: &str = "MySQL backup";
/// Checks confirmed by the monitors (UptimeRobot, Pingdom summaries, Zabbix): a run of fewer
/// failed checks is not reported by them (the 13 Aug blip).
const CONFIRM: usize = 2;

/// The 10 Aug downtime of the backup service, and the failure inside it.
pub fn backup_downtime() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        story::pdt(2011, 8, 10, 2, 0, 0),
        story::pdt(2011, 8, 10, 3, 0, 0),
    )
}

fn backup_failure() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        story::pdt(2011, 8, 10, 2, 10, 0),
        story::pdt(2011, 8, 10, 2, 40, 0),
    )
}

/// Pingdom's results cover the 15 Aug outage only (the API pages results; a day is thousands).
pub fn results_span() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        story::pdt(2011, 8, 15, 16, 0, 0),
        story::pdt(2011, 8, 15, 19, 0, 0),
    )
}

/// The story's probes, remote first.
fn probe_names() -> Vec<&'static str> {
    let mut names = story::REMOTE_PROBES.to_vec();
    names.push(story::LOCAL_PROBE);
    names
}

/// A probe's check at `t`: answered, failed, or no row (`None`).
fn check(probe: &str, t: DateTime<Utc>) -> Option<bool> {
    let outcome = if probe == story::LOCAL_PROBE {
        Some(local_check(t))
    } else {
        remote_check(probe, t)
    };
    outcome.map(|o| o == Outcome::Answered)
}

/// One stretch of a probe's checks: answered, failed (with how many checks), or no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stretch {
    Up,
    Down(usize),
    NoData,
}

/// The probe's stretches as (start, end, what), end exclusive, covering probes_start..probes_end.
fn stretches(probe: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>, Stretch)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>, Stretch)> = Vec::new();
    let step = Duration::seconds(story::PROBE_INTERVAL_SECS);
    for t in check_times() {
        let now = match check(probe, t) {
            Some(true) => Stretch::Up,
            Some(false) => Stretch::Down(1),
            None => Stretch::NoData,
        };
        match out.last_mut() {
            Some((_, end, Stretch::Down(n))) if now == Stretch::Down(1) => {
                *n += 1;
                *end = t + step;
            }
            Some((_, end, last)) if *last == now => *end = t + step,
            _ => out.push((t, t + step, now)),
        }
    }
    out
}

/// Stretches as a confirming monitor reports them: short failure runs count as up.
fn confirmed(probe: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>, Stretch)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>, Stretch)> = Vec::new();
    for (start, end, s) in stretches(probe) {
        let s = match s {
            Stretch::Down(n) if n < CONFIRM => Stretch::Up,
            other => other,
        };
        match out.last_mut() {
            Some((_, e, last)) if *last == s || (*last == Stretch::Up && s == Stretch::Up) => {
                *e = end
            }
            _ => out.push((start, end, s)),
        }
    }
    out
}

/// UptimeRobot's dashboard export with a header: newest first, account-zone (PDT) day-first
/// dates, durations in minutes; a Started begins the record, Paused..Started is the us-east gap.
pub fn write_uptimerobot(w: &mut dyn Write) -> std::io::Result<()> {
    let zone: chrono_tz::Tz = story::ZONE
        .parse()
        .unwrap_or(chrono_tz::Tz::America__Los_Angeles);
    let mut rows: Vec<(DateTime<Utc>, String)> = Vec::new();
    for probe in probe_names() {
        let spans = confirmed(probe);
        for (k, (start, end, s)) in spans.iter().enumerate() {
            let (event, reason) = match s {
                Stretch::Up if k == 0 => ("Started", ""),
                Stretch::Up if matches!(spans[k - 1].2, Stretch::NoData) => ("Started", ""),
                Stretch::Up => ("Up", "OK (200)"),
                Stretch::Down(_) => ("Down", "Connection Timeout"),
                Stretch::NoData => ("Paused", ""),
            };
            let minutes = (*end - *start).num_minutes();
            let local = start.with_timezone(&zone).format("%d-%m-%Y %H:%M:%S");
            rows.push((
                *start,
                format!(
                    "\"{event}\",\"{probe}\",\"{URL}\",\"{local}\",\"{reason}\",\"{minutes}\"\r\n"
                ),
            ));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    w.write_all(
        "\u{feff}Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\r\n"
            .as_bytes(),
    )?;
    for (_, row) in rows {
        w.write_all(row.as_bytes())?;
    }
    Ok(())
}

/// One Pingdom `summary.outage` answer per probe (each a check of its own).
pub fn write_pingdom_summary(probe: &str, w: &mut dyn Write) -> std::io::Result<()> {
    let states: Vec<String> = confirmed(probe)
        .iter()
        .map(|(start, end, s)| {
            let status = match s {
                Stretch::Up => "up",
                Stretch::Down(_) => "down",
                Stretch::NoData => "unknown",
            };
            format!(
                "{{\"status\":\"{status}\",\"timefrom\":{},\"timeto\":{}}}",
                start.timestamp(),
                end.timestamp()
            )
        })
        .collect();
    writeln!(
        w,
        "{{\"summary\":{{\"states\":[\n{}\n]}}}}",
        states.join(",\n")
    )
}

/// Pingdom's `results` of one check run from the four probes (probeid 1..4, the last on the
/// server's own network), over `results_span`.
pub fn write_pingdom_results(w: &mut dyn Write) -> std::io::Result<()> {
    let (from, to) = results_span();
    let mut rows = Vec::new();
    // Newest first, as the API answers.
    for t in check_times()
        .filter(|t| *t >= from && *t < to)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        for (id, probe) in probe_names().iter().enumerate() {
            let (status, ms, desc) = match check(probe, t) {
                Some(true) => ("up", 40 + 30 * id, "OK"),
                Some(false) => ("down", 0, "Timeout (> 15s)"),
                None => continue,
            };
            rows.push(format!(
                "{{\"probeid\":{},\"time\":{},\"status\":\"{status}\",\"responsetime\":{ms},\"statusdesc\":\"{desc}\"}}",
                id + 1,
                t.timestamp()
            ));
        }
    }
    writeln!(
        w,
        "{{\"results\":[\n{}\n],\"activeprobes\":[1,2,3,4]}}",
        rows.join(",\n")
    )
}

/// The Nagios log: each probe a service of host SIPSVR01 (max_check_attempts 2, retried every
/// minute: a single failed check is a SOFT flap), the us-east gap UNKNOWN, and a downtime.
pub fn write_nagios(w: &mut dyn Write) -> std::io::Result<()> {
    let mut lines: Vec<(DateTime<Utc>, u32, String)> = Vec::new();
    let start = story::probes_start();
    let host = story::HOST;
    let mut push = |t: DateTime<Utc>, order: u32, text: String| lines.push((t, order, text));
    push(start, 0, "LOG ROTATION: DAILY".into());
    push(start, 1, "LOG VERSION: 2.0".into());
    let step = Duration::seconds(story::PROBE_INTERVAL_SECS);
    for probe in probe_names() {
        let svc = format!("{host};{probe}");
        push(
            start,
            2,
            format!("CURRENT SERVICE STATE: {svc};OK;HARD;1;SIP OK - 200"),
        );
        let spans = stretches(probe);
        for (k, (from, _, s)) in spans.iter().enumerate() {
            if k == 0 {
                continue;
            }
            let prev = spans[k - 1].2;
            match s {
                Stretch::Down(n) => {
                    push(*from, 3, format!("SERVICE ALERT: {svc};CRITICAL;SOFT;1;CRITICAL - Socket timeout after 15 seconds"));
                    if *n >= 2 {
                        let hard = *from + step;
                        push(hard, 3, format!("SERVICE ALERT: {svc};CRITICAL;HARD;2;CRITICAL - Socket timeout after 15 seconds"));
                        push(hard, 4, format!("SERVICE NOTIFICATION: oncall;{svc};CRITICAL;notify-service-by-email;CRITICAL - Socket timeout after 15 seconds"));
                    }
                }
                Stretch::NoData => push(
                    *from,
                    3,
                    format!("SERVICE ALERT: {svc};UNKNOWN;HARD;1;UNKNOWN - no data from the probe"),
                ),
                Stretch::Up => {
                    let kind = match prev {
                        Stretch::Down(n) if n < 2 => "SOFT",
                        _ => "HARD",
                    };
                    push(
                        *from,
                        3,
                        format!("SERVICE ALERT: {svc};OK;{kind};2;SIP OK - 200"),
                    );
                }
            }
        }
    }
    let (dt_from, dt_to) = backup_downtime();
    let (fail, ok) = backup_failure();
    let backup = format!("{host};{BACKUP_SERVICE}");
    push(
        start,
        2,
        format!("CURRENT SERVICE STATE: {backup};OK;HARD;1;OK - last dump 0h ago"),
    );
    push(dt_from - Duration::minutes(5), 3, format!("EXTERNAL COMMAND: SCHEDULE_SVC_DOWNTIME;{host};{BACKUP_SERVICE};{};{};1;0;3600;admin;disk swap", dt_from.timestamp(), dt_to.timestamp()));
    push(dt_from, 3, format!("SERVICE DOWNTIME ALERT: {backup};STARTED; Service has entered a period of scheduled downtime"));
    push(
        fail,
        3,
        format!("SERVICE ALERT: {backup};CRITICAL;HARD;1;CRITICAL - backup disk offline"),
    );
    push(
        ok,
        3,
        format!("SERVICE ALERT: {backup};OK;HARD;1;OK - last dump 0h ago"),
    );
    push(dt_to, 3, format!("SERVICE DOWNTIME ALERT: {backup};STOPPED; Service has exited from a period of scheduled downtime"));
    push(
        story::probes_end(),
        5,
        "Auto-save of retention data completed successfully.".into(),
    );
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    for (t, _, text) in lines {
        writeln!(w, "[{}] {text}", t.timestamp())?;
    }
    Ok(())
}

/// Zabbix problems NDJSON: a problem per confirmed failure run of each probe.
pub fn write_zabbix(w: &mut dyn Write) -> std::io::Result<()> {
    let mut events: Vec<(DateTime<Utc>, u64, String)> = Vec::new();
    let mut next_id = 1000u64;
    for probe in probe_names() {
        for (start, end, s) in confirmed(probe) {
            if !matches!(s, Stretch::Down(_)) {
                continue;
            }
            let open = next_id;
            next_id += 2;
            events.push((start, open, format!(
                "{{\"clock\":{},\"ns\":0,\"value\":1,\"eventid\":\"{open}\",\"name\":\"SIP unreachable from {probe}\",\"severity\":4,\"hosts\":[{{\"host\":\"{}\",\"name\":\"{}\"}}],\"groups\":[\"SIP\"],\"tags\":[]}}",
                start.timestamp(), story::HOST, story::HOST
            )));
            events.push((end, open + 1, format!(
                "{{\"clock\":{},\"ns\":0,\"value\":0,\"eventid\":\"{}\",\"p_eventid\":\"{open}\",\"name\":\"SIP unreachable from {probe}\",\"severity\":0,\"hosts\":[{{\"host\":\"{}\",\"name\":\"{}\"}}]}}",
                end.timestamp(), open + 1, story::HOST, story::HOST
            )));
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    for (_, _, line) in events {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// Zabbix's Problems page exported to CSV: the NDJSON's problems, one row each, newest first
/// (the page's default order), times in the UI user's zone (PDT), every cell quoted as Zabbix does.
pub fn write_zabbix_csv(w: &mut dyn Write) -> std::io::Result<()> {
    let zone: chrono_tz::Tz = story::ZONE
        .parse()
        .unwrap_or(chrono_tz::Tz::America__Los_Angeles);
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S");
    let mut rows: Vec<(DateTime<Utc>, String)> = Vec::new();
    for probe in probe_names() {
        for (start, end, s) in confirmed(probe) {
            if !matches!(s, Stretch::Down(_)) {
                continue;
            }
            let minutes = (end - start).num_minutes();
            let age = match minutes / 60 {
                0 => format!("{minutes}m"),
                h => format!("{h}h {}m", minutes % 60),
            };
            rows.push((start, format!(
                "\"High\",\"{}\",\"{}\",\"RESOLVED\",\"{}\",\"SIP unreachable from {probe}\",\"{age}\",\"No\",\"Messages (1)\",\"\"\n",
                local(start), local(end), story::HOST
            )));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    w.write_all(b"\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\",\"Duration\",\"Ack\",\"Actions\",\"Tags\"\n")?;
    for (_, row) in rows {
        w.write_all(row.as_bytes())?;
    }
    Ok(())
}

/// Uptime Kuma's database with a monitor per probe (each checks the server's URL), one heartbeat
/// per check: status 1 answered, 0 failed (Kuma keeps no ping for a failure), none in a gap.
pub fn write_kuma(path: &Path) -> std::io::Result<()> {
    let names = probe_names();
    let monitors: Vec<(&str, &str)> = names.iter().map(|p| (*p, URL)).collect();
    let mut beats: Vec<(usize, String, i64, Option<i64>, &str)> = Vec::new();
    for t in check_times() {
        let text = t.format("%Y-%m-%d %H:%M:%S").to_string();
        for (k, probe) in names.iter().enumerate() {
            match check(probe, t) {
                Some(true) => {
                    beats.push((k, text.clone(), 1, Some(40 + 30 * k as i64), "200 - OK"))
                }
                Some(false) => {
                    beats.push((k, text.clone(), 0, None, "timeout of 15000ms exceeded"))
                }
                None => {}
            }
        }
    }
    let heartbeats: Vec<(usize, &str, i64, Option<i64>, &str)> = beats
        .iter()
        .map(|(k, t, s, ping, msg)| (*k, t.as_str(), *s, *ping, *msg))
        .collect();
    crate::source::probes::kuma::write_kuma_db(path, &monitors, &heartbeats)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A Prometheus `query_range` answer of blackbox_exporter's `probe_success` for the server's URL,
/// one series per probe (the `probe` label is the vantage), a sample per check, none in a gap.
pub fn write_prometheus(w: &mut dyn Write) -> std::io::Result<()> {
    let names = probe_names();
    let series: Vec<crate::source::probes::prometheus::FixtureSeries> = names
        .iter()
        .map(|probe| {
            let samples = check_times()
                .filter_map(|t| {
                    check(probe, t).map(|ok| (t.timestamp() as f64, if ok { "1" } else { "0" }))
                })
                .collect();
            let labels = vec![
                ("__name__", "probe_success"),
                ("instance", URL),
                ("job", "blackbox"),
                ("probe", *probe),
            ];
            (labels, samples)
        })
        .collect();
    w.write_all(&crate::source::probes::prometheus::write_query_range(
        &series,
    ))
}

/// Every file written, relative to the folder.
pub fn file_names() -> Vec<String> {
    let mut names = vec![
        "uptimerobot-logs.csv".to_string(),
        "nagios.log".to_string(),
        "zabbix-problems.ndjson".to_string(),
        "zabbix-problems.csv".to_string(),
        "pingdom/results/sipsvr01.json".to_string(),
        "prometheus-probe_success.json".to_string(),
        "kuma.db".to_string(),
    ];
    names.extend(
        probe_names()
            .iter()
            .map(|p| format!("pingdom/summary/{p}.json")),
    );
    names
}

/// A writer of a state log of a given number of records (for `bench/run`).
pub type ScaledWriter = fn(&mut dyn Write, u64) -> std::io::Result<()>;

/// For `bench/run`: a Nagios log of `lines` service alerts (four services of the server, one
/// alert a line, 15 s apart per service), cycling through a SOFT flap that recovers, a HARD
/// outage and its recovery; every line is a state the reader counts.
pub fn write_scaled_nagios(w: &mut dyn Write, lines: u64) -> std::io::Result<()> {
    const CYCLE: [(&str, &str, u32, &str); 5] = [
        (
            "CRITICAL",
            "SOFT",
            1,
            "CRITICAL - Socket timeout after 15 seconds",
        ),
        ("OK", "SOFT", 2, "SIP OK - 200"),
        (
            "CRITICAL",
            "SOFT",
            1,
            "CRITICAL - Socket timeout after 15 seconds",
        ),
        (
            "CRITICAL",
            "HARD",
            2,
            "CRITICAL - Socket timeout after 15 seconds",
        ),
        ("OK", "HARD", 2, "SIP OK - 200"),
    ];
    let start = story::probes_start().timestamp();
    let services = ["us-west", "us-east", "eu-central", "local-sipsvr01"];
    for i in 0..lines {
        let step = i / 4;
        let (state, kind, attempt, output) = CYCLE[(step % 5) as usize];
        writeln!(
            w,
            "[{}] SERVICE ALERT: {};{};{state};{kind};{attempt};{output}",
            start + step as i64 * 15,
            story::HOST,
            services[(i % 4) as usize]
        )?;
    }
    Ok(())
}

/// For `bench/run`: UptimeRobot's dashboard CSV (with its header) of `rows` events, newest
/// first: four monitors each going down and up again a minute apart, times in UTC.
pub fn write_scaled_uptimerobot(w: &mut dyn Write, rows: u64) -> std::io::Result<()> {
    w.write_all(
        "\u{feff}Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\r\n"
            .as_bytes(),
    )?;
    let start = story::probes_start();
    let monitors = ["us-west", "us-east", "eu-central", "local-sipsvr01"];
    for i in (0..rows).rev() {
        let step = i / 4;
        let t = start + Duration::minutes(step as i64);
        let (event, reason) = if step % 2 == 0 {
            ("Down", "Connection Timeout")
        } else {
            ("Up", "OK (200)")
        };
        write!(
            w,
            "\"{event}\",\"{}\",\"{URL}\",\"{}\",\"{reason}\",\"1\"\r\n",
            monitors[(i % 4) as usize],
            t.format("%d-%m-%Y %H:%M:%S")
        )?;
    }
    Ok(())
}

/// For `bench/run`: Zabbix's Problems page as CSV with `rows` problems, newest first: four
/// probes of the server each unreachable for two minutes in every ten, recovered, times in UTC.
pub fn write_scaled_zabbix_csv(w: &mut dyn Write, rows: u64) -> std::io::Result<()> {
    w.write_all(b"\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\",\"Duration\",\"Ack\",\"Actions\",\"Tags\"\n")?;
    let start = story::probes_start();
    let probes = ["us-west", "us-east", "eu-central", "local-sipsvr01"];
    for i in (0..rows).rev() {
        let began = start + Duration::minutes(10 * (i / 4) as i64);
        let ended = began + Duration::minutes(2);
        writeln!(
            w,
            "\"High\",\"{}\",\"{}\",\"RESOLVED\",\"{}\",\"SIP unreachable from {}\",\"2m\",\"No\",\"\",\"\"",
            began.format("%Y-%m-%d %H:%M:%S"),
            ended.format("%Y-%m-%d %H:%M:%S"),
            story::HOST,
            probes[(i % 4) as usize]
        )?;
    }
    Ok(())
}

/// Writes every probe export into `dir`; returns the paths written.
pub fn write_probe_exports(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir.join("pingdom/summary"))?;
    std::fs::create_dir_all(dir.join("pingdom/results"))?;
    let mut written = Vec::new();
    for name in file_names() {
        let path = dir.join(&name);
        if name == "kuma.db" {
            write_kuma(&path)?;
            written.push(path);
            continue;
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        match name.as_str() {
            "uptimerobot-logs.csv" => write_uptimerobot(&mut w)?,
            "nagios.log" => write_nagios(&mut w)?,
            "zabbix-problems.ndjson" => write_zabbix(&mut w)?,
            "zabbix-problems.csv" => write_zabbix_csv(&mut w)?,
            "pingdom/results/sipsvr01.json" => write_pingdom_results(&mut w)?,
            "prometheus-probe_success.json" => write_prometheus(&mut w)?,
            other => {
                let probe = other
                    .trim_start_matches("pingdom/summary/")
                    .trim_end_matches(".json");
                write_pingdom_summary(probe, &mut w)?
            }
        }
        w.flush()?;
        written.push(path);
    }
    Ok(written)
}
