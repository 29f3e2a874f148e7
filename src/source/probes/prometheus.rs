//! Prometheus `query_range` JSON (the API envelope or a saved bare `result` list) -> probe series:
//! `probe_success`/`up` samples as checks, `probe_duration_seconds` joined in as latency, target
//! and vantage from the labels.
use super::store::{host_of, Counted, ProbeStoreRead, ProbeTarget, StoreBuilder};
use crate::error::{Error, Result};
use crate::model::Check;
use chrono::{DateTime, Utc};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The report kind of this reader.
pub const KIND: super::StoreKind = super::StoreKind::PrometheusJson;

/// Labels naming what was checked, first present wins.
pub const TARGET_LABELS: [&str; 4] = ["instance", "target", "url", "job"];
/// Labels naming where the check ran from, first present wins (unless the caller names one).
pub const VANTAGE_LABELS: [&str; 5] = ["location", "probe", "region", "prober", "site"];

/// Only Prometheus JSON: an envelope with `"resultType"` (or an error envelope), or a list whose
/// first element has `"metric"` and `"values"`.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let text = head.trim_ascii_start();
    match text.first() {
        Some(b'{') => {
            let has = |key: &[u8]| find(text, key).is_some();
            // Keys sorted (json.dump(sort_keys=True)) put the result list before resultType.
            has(b"\"resultType\"")
                || (has(b"\"status\"") && has(b"\"errorType\""))
                || (has(b"\"data\"")
                    && has(b"\"result\"")
                    && has(b"\"metric\"")
                    && has(b"\"values\""))
        }
        Some(b'[') => {
            let rest = text[1..].trim_ascii_start();
            if rest.first() != Some(&b'{') {
                return false;
            }
            let keys = first_object_keys(rest);
            keys.iter().any(|k| k == b"metric") && keys.iter().any(|k| k == b"values")
        }
        _ => false,
    }
}

/// The keys of the object `text` starts with (as far as `text` goes): strings followed by `:`
/// at its top level.
fn first_object_keys(text: &[u8]) -> Vec<&[u8]> {
    let mut keys = Vec::new();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < text.len() {
        match text[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                while i < text.len() && text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(text.len());
                let next = text[(end + 1).min(text.len())..].trim_ascii_start();
                if depth == 1 && next.first() == Some(&b':') {
                    keys.push(&text[start..end]);
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    keys
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A time or value as JSON has it: Prometheus writes times as numbers and values as strings.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum Scalar {
    Num(f64),
    Text(String),
}

impl Scalar {
    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Num(x) => Some(*x),
            Scalar::Text(s) => s.trim().parse().ok(),
        }
    }

    fn shown(&self) -> String {
        match self {
            Scalar::Num(x) => x.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// One element of a `result` list.
#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    values: Option<Vec<(Scalar, Scalar)>>,
    /// Instant vectors have one `value`, not `values`.
    value: Option<IgnoredAny>,
    /// Native histograms: not probe results.
    histograms: Option<IgnoredAny>,
}

/// The API envelope.
#[derive(Deserialize)]
struct Envelope {
    status: Option<String>,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

/// `data`: the result list is read only when the result type is a matrix (it comes first).
struct Data {
    result_type: Option<String>,
    result: Option<Vec<RawSeries>>,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Data, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = Data;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a query result object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Data, A::Error> {
                let mut data = Data {
                    result_type: None,
                    result: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "resultType" => data.result_type = Some(map.next_value()?),
                        "result" if data.result_type.as_deref().is_none_or(|t| t == "matrix") => {
                            data.result = Some(map.next_value()?)
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(data)
            }
        }
        d.deserialize_map(DataVisitor)
    }
}

/// What a series' samples mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    /// `probe_success` (blackbox: the target answered).
    Success,
    /// `up` (the scrape answered).
    Up,
    /// No `__name__` (a computed query): read as success 1/0.
    Unnamed,
    /// `probe_duration_seconds`: latency of the check at the same time.
    Duration,
}

impl Role {
    fn metric(self) -> &'static str {
        match self {
            Role::Success => "probe_success",
            Role::Up => "up",
            Role::Unnamed => "a series without __name__",
            Role::Duration => "probe_duration_seconds",
        }
    }
}

fn role_of(name: Option<&str>) -> Option<Role> {
    match name {
        Some("probe_success") => Some(Role::Success),
        Some("up") => Some(Role::Up),
        Some("probe_duration_seconds") => Some(Role::Duration),
        None => Some(Role::Unnamed),
        Some(_) => None,
    }
}

/// Reads a saved `query_range` answer. `vantage_label` names the label that says where a check
/// ran from (default: the first of [`VANTAGE_LABELS`] present). Fails when the file is not
/// Prometheus JSON, is an error answer, is not a range (matrix) result, or holds no probe results.
pub fn read(path: &Path, vantage_label: Option<&str>) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, vantage_label)
}

/// [`read`] of bytes already in memory (`path` names them in messages).
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    vantage_label: Option<&str>,
) -> Result<ProbeStoreRead> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let json_err = |e: serde_json::Error| {
        let at = format!("line {} column {}", e.line(), e.column());
        let why = if e.is_eof() {
            format!("the JSON ends early at {at} (a truncated capture?): nothing read")
        } else {
            format!("not Prometheus query_range JSON ({e})")
        };
        Error::bad_input(path, why)
    };
    let mut b = StoreBuilder::new(path, KIND);
    let series = match body.trim_ascii_start().first() {
        Some(b'[') => {
            let list: Vec<RawSeries> = serde_json::from_slice(body).map_err(json_err)?;
            b.note("a bare result list (no API envelope): read as a range (matrix) result");
            list
        }
        Some(b'{') => {
            let env: Envelope = serde_json::from_slice(body).map_err(json_err)?;
            envelope_series(path, env, &mut b)?
        }
        _ => {
            return Err(Error::bad_input(
                path,
                "not Prometheus JSON: neither an API answer object nor a result list",
            ))
        }
    };
    if !series.is_empty()
        && series
            .iter()
            .all(|s| s.values.is_none() && s.value.is_some())
    {
        return Err(Error::bad_input(
            path,
            "an instant vector (each series has one \"value\"), not a range: save a query_range \
             answer (/api/v1/query_range) to read checks over time",
        ));
    }
    read_series(path, series, vantage_label, b)
}

/// The series of a success envelope; an error envelope or a non-matrix result is an error.
fn envelope_series(path: &Path, env: Envelope, b: &mut StoreBuilder) -> Result<Vec<RawSeries>> {
    if env.status.as_deref() == Some("error") || env.error.is_some() {
        let kind = env.error_type.as_deref().unwrap_or("unknown error type");
        let text = env.error.as_deref().unwrap_or("(no error text)");
        return Err(Error::bad_input(
            path,
            format!("Prometheus answered with an error ({kind}): {text}"),
        ));
    }
    match env.status.as_deref() {
        Some("success") => {}
        Some(other) => b.note(format!(
            "envelope status {other:?} (expected \"success\"): read anyway"
        )),
        None => b.note("envelope without a status: read anyway"),
    }
    for w in &env.warnings {
        b.note(format!("Prometheus warning: {w}"));
    }
    for i in &env.infos {
        b.note(format!("Prometheus info: {i}"));
    }
    let Some(data) = env.data else {
        return Err(Error::bad_input(
            path,
            "a Prometheus answer without \"data\"",
        ));
    };
    match data.result_type.as_deref() {
        Some("matrix") | None => {}
        Some(other) => {
            let what = match other {
                "vector" => "an instant vector",
                "scalar" => "a scalar",
                "string" => "a string",
                _ => "an unknown result type",
            };
            return Err(Error::bad_input(
                path,
                format!(
                    "resultType {other:?}: {what}, not a range: save a query_range answer \
                     (/api/v1/query_range, resultType \"matrix\") to read checks over time"
                ),
            ));
        }
    }
    if data.result_type.is_none() {
        b.note("data has no resultType: read as a range (matrix) result");
    }
    b.note("Prometheus API answer (status success, resultType matrix)");
    Ok(data.result.unwrap_or_default())
}

/// One label set (labels without `__name__`) with its status and duration samples.
#[derive(Default)]
struct Group {
    status: Vec<(Role, Vec<(Scalar, Scalar)>)>,
    durations: Vec<(Scalar, Scalar)>,
}

fn read_series(
    path: &Path,
    series: Vec<RawSeries>,
    vantage_label: Option<&str>,
    mut b: StoreBuilder,
) -> Result<ProbeStoreRead> {
    let mut groups: BTreeMap<BTreeMap<String, String>, Group> = BTreeMap::new();
    let mut metrics = Counted::default();
    let mut ignored = Counted::default();
    let mut series_ignored = Counted::default();
    let mut metrics_unnamed = 0u64;
    for s in series {
        let name = s.metric.get("__name__").cloned();
        let shown = name.clone().unwrap_or_else(|| "(no __name__)".to_string());
        metrics_unnamed += u64::from(name.is_none() && s.values.is_some());
        metrics.add(&shown);
        let Some(values) = s.values else {
            let why = if s.histograms.is_some() {
                "native histogram series"
            } else {
                "series without values"
            };
            series_ignored.add(&format!("{shown}: {why}"));
            continue;
        };
        let Some(role) = role_of(name.as_deref()) else {
            b.tally.ignored += values.len() as u64;
            ignored.add_n(
                &format!("{shown} (not a probe result)"),
                values.len() as u64,
            );
            continue;
        };
        let mut labels = s.metric;
        labels.remove("__name__");
        let group = groups.entry(labels).or_default();
        match role {
            Role::Duration => group.durations.extend(values),
            _ => group.status.push((role, values)),
        }
    }
    b.note(format!("series by metric: {}", metrics.render()));
    if groups.values().all(|g| g.status.is_empty()) {
        return Err(Error::bad_input(
            path,
            format!(
                "no probe_success or up series (metrics: {}): a latency alone does not say \
                 whether the probe answered",
                metrics.render()
            ),
        ));
    }
    let mut labels_used = Counted::default();
    let mut vantages_used = Counted::default();
    let mut values = Counted::default();
    let mut bad_durations = Counted::default();
    let (mut joined, mut unjoined) = (0u64, 0u64);
    for (labels, group) in groups {
        let (target, target_label) = target_of(&labels);
        labels_used.add(target_label.unwrap_or("none (named by all its labels)"));
        let vantage_key = match vantage_label {
            Some(l) => labels.contains_key(l).then_some(l),
            None => VANTAGE_LABELS.into_iter().find(|l| labels.contains_key(*l)),
        };
        if let Some(k) = vantage_key {
            vantages_used.add(k);
        }
        let detail: Vec<String> = labels
            .iter()
            .filter(|(k, _)| Some(k.as_str()) != target_label && Some(k.as_str()) != vantage_key)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let probe_target = ProbeTarget {
            host: target_label
                .filter(|l| *l != "job")
                .and_then(|_| host_of(&target)),
            target,
            vantage: vantage_key.and_then(|k| labels.get(k).cloned()),
            detail: (!detail.is_empty()).then(|| detail.join(", ")),
        };
        let mut latency: HashMap<i64, Option<f32>> = HashMap::new();
        for (t, v) in &group.durations {
            let Some(ms) = epoch_ms(t) else {
                b.tally.ignored += 1;
                bad_durations.add(&format!("time {}", t.shown()));
                continue;
            };
            let seconds = v.number().filter(|x| x.is_finite() && *x >= 0.0);
            if seconds.is_none() {
                bad_durations.add(&v.shown());
            }
            latency.insert(ms, seconds.map(|x| (x * 1000.0) as f32));
        }
        // probe_success says whether the target answered; `up` beside it only that the exporter did.
        let Some(best) = group.status.iter().map(|(r, _)| *r).min() else {
            unjoined += latency.len() as u64;
            continue;
        };
        let probe = b.probe(&probe_target);
        for (role, samples) in group.status {
            if role != best {
                b.tally.ignored += samples.len() as u64;
                let why = format!(
                    "{} beside {} of the same labels",
                    role.metric(),
                    best.metric()
                );
                ignored.add_n(&why, samples.len() as u64);
                continue;
            }
            for (i, (t, v)) in samples.iter().enumerate() {
                let Some(ms) = epoch_ms(t) else {
                    b.damaged(format!(
                        "{} value {}: time {} is not epoch seconds",
                        probe_target.target,
                        i + 1,
                        t.shown()
                    ));
                    continue;
                };
                let Some(time) = DateTime::<Utc>::from_timestamp_millis(ms) else {
                    b.damaged(format!(
                        "{} value {}: time out of range",
                        probe_target.target,
                        i + 1
                    ));
                    continue;
                };
                let ok = match v.number() {
                    Some(1.0) => true,
                    Some(0.0) => false,
                    _ => {
                        let word = v.shown();
                        values.add(&word);
                        b.unknown(format!(
                            "{} at {}: value {word:?} is neither 1 nor 0",
                            probe_target.target,
                            crate::model::rfc3339(&time)
                        ));
                        continue;
                    }
                };
                let ms_latency = latency.remove(&ms);
                joined += u64::from(ms_latency.is_some());
                b.check(probe, Check::new(time, ok, ms_latency.flatten()));
            }
        }
        unjoined += latency.len() as u64;
    }
    b.tally.ignored += unjoined;
    let vantage = if vantages_used.is_empty() {
        match vantage_label {
            Some(label) => format!("no series has the vantage label {label:?} (--vantage-label)"),
            None => format!(
                "no series has a vantage label ({}): name yours with --vantage-label",
                VANTAGE_LABELS.join(", ")
            ),
        }
    } else {
        format!("vantage from label {}", vantages_used.render())
    };
    b.note(format!(
        "values: \"1\" answered, \"0\" failed; times epoch seconds (UTC); target from label {}; \
         {vantage}",
        labels_used.render()
    ));
    if metrics_unnamed > 0 {
        b.note(format!(
            "{metrics_unnamed} series have no __name__ (a computed query?): read as success 1/0"
        ));
    }
    if !values.is_empty() {
        b.note(format!(
            "{} values neither 1 nor 0 were skipped: {}",
            values.total(),
            values.render()
        ));
    }
    if joined > 0 || unjoined > 0 {
        b.note(format!(
            "probe_duration_seconds joined as latency (ms) by labels and time: {joined} checks; \
             {unjoined} latency samples had no status at the same time and are not checks"
        ));
    }
    if !bad_durations.is_empty() {
        b.note(format!(
            "{} durations were not numbers of seconds (no latency kept): {}",
            bad_durations.total(),
            bad_durations.render()
        ));
    }
    if !ignored.is_empty() {
        b.note(format!("values not read, by why: {}", ignored.render()));
    }
    if !series_ignored.is_empty() {
        b.note(format!("series not read: {}", series_ignored.render()));
    }
    Ok(b.finish())
}

/// The target and the label it came from; without any target label, all labels `{k=v, ...}`.
fn target_of(labels: &BTreeMap<String, String>) -> (String, Option<&'static str>) {
    for l in TARGET_LABELS {
        if let Some(v) = labels.get(l).filter(|v| !v.trim().is_empty()) {
            return (v.clone(), Some(l));
        }
    }
    let all: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    (format!("{{{}}}", all.join(", ")), None)
}

/// Epoch seconds (fractions kept to the millisecond) as milliseconds.
fn epoch_ms(t: &Scalar) -> Option<i64> {
    let ms = (t.number()? * 1000.0).round();
    (ms.is_finite() && ms.abs() < 1e17).then_some(ms as i64)
}

/// One fixture series: labels (`__name__` among them) and (epoch seconds, value text) samples.
pub type FixtureSeries<'a> = (Vec<(&'a str, &'a str)>, Vec<(f64, &'a str)>);

/// A `query_range` answer (API envelope, resultType matrix) for fixtures; the same input gives
/// the same bytes.
pub fn write_query_range(series: &[FixtureSeries]) -> Vec<u8> {
    use serde_json::{json, Map, Value};
    let result: Vec<Value> = series
        .iter()
        .map(|(labels, samples)| {
            let metric: Map<String, Value> = labels
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect();
            let values: Vec<Value> = samples.iter().map(|(t, v)| json!([t, v])).collect();
            json!({ "metric": metric, "values": values })
        })
        .collect();
    let doc = json!({
        "status": "success",
        "data": { "resultType": "matrix", "result": result }
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn read_str(json: &[u8], vantage: Option<&str>) -> Result<ProbeStoreRead> {
        read_bytes(Path::new("capture.json"), json, vantage)
    }

    fn err_text(r: Result<ProbeStoreRead>) -> String {
        match r {
            Ok(read) => panic!("expected an error, read {:?}", read.tally),
            Err(e) => e.to_string(),
        }
    }

    fn blackbox(location: &str) -> Vec<(&str, &str)> {
        vec![
            ("__name__", "probe_success"),
            ("instance", "https://app.example/health"),
            ("job", "blackbox"),
            ("location", location),
        ]
    }

    #[test]
    fn reads_the_real_up_capture() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/samples/prometheus-up-range.json"
        ));
        if !path.exists() {
            eprintln!("skipped: {} is missing", path.display());
            return;
        }
        let head = std::fs::read(path).unwrap();
        assert!(sniff(&head[..head.len().min(4096)]));
        let read = read(path, None).unwrap();
        // Counted with Python's json: 9 series of `up`, 6838 values, 379 of them "0", the rest
        // "1"; no repeated times within a series; first 1564394404.347, last 1564415991.146.
        assert_eq!(read.probes.len(), 9);
        let checks: usize = read.probes.iter().map(|p| p.checks.len()).sum();
        let failed: usize = read
            .probes
            .iter()
            .flat_map(|p| &p.checks)
            .filter(|c| !c.ok())
            .count();
        assert_eq!((checks, failed), (6838, 379));
        assert_eq!(read.tally.total(), 6838);
        assert_eq!(read.report.records_read, 6838);
        let prophet0 = "prometheus-anomaly-detector-prophet-0.cloud.paas.psi.redhat.com:80";
        let i = read
            .targets
            .iter()
            .position(|t| t.target == prophet0)
            .unwrap();
        assert_eq!(read.probes[i].checks.len(), 360);
        assert!(read.probes[i].checks.iter().all(|c| !c.ok()));
        assert_eq!(
            read.targets[i].host.as_deref(),
            Some("prometheus-anomaly-detector-prophet-0.cloud.paas.psi.redhat.com")
        );
        assert_eq!(read.targets[i].detail.as_deref(), Some("job=prophet"));
        assert_eq!(
            read.report.first,
            Some(Utc.timestamp_millis_opt(1_564_394_404_347).unwrap())
        );
        assert_eq!(
            read.report.last,
            Some(Utc.timestamp_millis_opt(1_564_415_991_146).unwrap())
        );
        assert!(read.notes.iter().any(|n| n.contains("bare result list")));
    }

    #[test]
    fn envelope_and_bare_list_read_the_same() {
        let json = write_query_range(&[(
            blackbox("eu"),
            vec![
                (1_700_000_000.0, "1"),
                (1_700_000_015.5, "0"),
                (1_700_000_030.0, "1"),
            ],
        )]);
        assert!(sniff(&json));
        let env = read_str(&json, None).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let bare = serde_json::to_vec(&doc["data"]["result"]).unwrap();
        assert!(sniff(&bare));
        let list = read_str(&bare, None).unwrap();
        assert_eq!(env.probes[0].checks, list.probes[0].checks);
        let got: Vec<(i64, bool)> = env.probes[0]
            .checks
            .iter()
            .map(|c| (c.time.timestamp_millis(), c.ok()))
            .collect();
        assert_eq!(
            got,
            [
                (1_700_000_000_000, true),
                (1_700_000_015_500, false),
                (1_700_000_030_000, true)
            ]
        );
        let t = &env.targets[0];
        assert_eq!(t.target, "https://app.example/health");
        assert_eq!(
            (t.vantage.as_deref(), t.host.as_deref()),
            (Some("eu"), Some("app.example"))
        );
        assert_eq!(
            env.probes[0].name, "https://app.example/health",
            "one vantage: no suffix"
        );
        assert_eq!(
            write_query_range(&[(blackbox("eu"), vec![(1.5, "1")])]),
            write_query_range(&[(blackbox("eu"), vec![(1.5, "1")])])
        );
    }

    #[test]
    fn sorted_keys_put_the_result_before_its_type() {
        let json = br#"{"data": {"result": [{"metric": {"__name__": "probe_success", "instance": "a:1"}, "values": [[10, "1"], [20, "0"]]}], "resultType": "matrix"}, "status": "success"}"#;
        assert!(sniff(json));
        let read = read_str(json, None).unwrap();
        assert_eq!(read.tally.checks, 2);
        let vector = br#"{"data": {"result": [{"metric": {}, "value": [10, "1"]}], "resultType": "vector"}, "status": "success"}"#;
        assert!(err_text(read_str(vector, None)).contains("instant vector"));
    }

    #[test]
    fn error_envelope_and_non_matrix_results_are_clear_errors() {
        let msg = err_text(read_str(
            br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error"}"#,
            None,
        ));
        assert!(
            msg.contains("bad_data") && msg.contains("parse error"),
            "{msg}"
        );
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[1435781451.781,"1"]}]}}"#;
        assert!(err_text(read_str(vector, None)).contains("instant vector"));
        let scalar =
            br#"{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"1"]}}"#;
        assert!(err_text(read_str(scalar, None)).contains("a scalar"));
        let bare_vector = br#"[{"metric":{"__name__":"up"},"value":[1435781451.781,"1"]}]"#;
        assert!(!sniff(bare_vector));
        assert!(err_text(read_str(bare_vector, None)).contains("instant vector"));
        let other = write_query_range(&[(vec![("__name__", "node_load1")], vec![(1.0, "0.5")])]);
        assert!(err_text(read_str(&other, None)).contains("no probe_success or up"));
    }

    #[test]
    fn values_outside_one_and_zero_are_counted_and_named() {
        let json = write_query_range(&[(
            blackbox("eu"),
            vec![
                (100.0, "1"),
                (115.0, "NaN"),
                (130.0, "+Inf"),
                (145.0, "0.5"),
                (160.0, "0"),
                (175.0, "NaN"),
                (190.0, "1.0"),
            ],
        )]);
        let read = read_str(&json, None).unwrap();
        let ok: Vec<bool> = read.probes[0].checks.iter().map(|c| c.ok()).collect();
        assert_eq!(ok, [true, false, true]);
        assert_eq!((read.tally.unknown, read.report.records_skipped), (4, 4));
        assert_eq!(read.tally.total(), 7);
        let note = read
            .notes
            .iter()
            .find(|n| n.contains("neither 1 nor 0"))
            .unwrap();
        assert!(
            note.contains("\"NaN\" ×2")
                && note.contains("\"+Inf\" ×1")
                && note.contains("\"0.5\" ×1"),
            "{note}"
        );
        assert!(read.report.problems.iter().any(|p| p.contains("\"+Inf\"")));
    }

    #[test]
    fn durations_join_success_by_labels_and_time() {
        let mut duration = blackbox("eu");
        duration[0] = ("__name__", "probe_duration_seconds");
        let mut other_place = blackbox("us");
        other_place[0] = ("__name__", "probe_duration_seconds");
        let json = write_query_range(&[
            (
                blackbox("eu"),
                vec![(100.0, "1"), (115.0, "0"), (130.0, "1")],
            ),
            (
                duration,
                vec![(100.0, "0.25"), (115.0, "NaN"), (145.0, "0.1")],
            ),
            // Same instance from another place: its latency must not join eu's checks.
            (other_place, vec![(100.0, "9")]),
            (
                vec![("__name__", "probe_http_status_code"), ("instance", "x")],
                vec![(100.0, "200")],
            ),
        ]);
        let read = read_str(&json, None).unwrap();
        let got: Vec<(bool, Option<f32>)> = read.probes[0]
            .checks
            .iter()
            .map(|c| (c.ok(), c.latency_ms()))
            .collect();
        assert_eq!(got, [(true, Some(250.0)), (false, None), (true, None)]);
        assert_eq!(read.probes.len(), 1, "a latency alone makes no probe");
        // Not checks: eu's 145 s latency, us's latency, the status-code sample.
        assert_eq!(read.tally.ignored, 3);
        assert!(
            read.notes
                .iter()
                .any(|n| n.contains("joined as latency") && n.contains("2 checks")),
            "{:?}",
            read.notes
        );
        assert!(read
            .notes
            .iter()
            .any(|n| n.contains("probe_http_status_code")));
        assert!(read
            .notes
            .iter()
            .any(|n| n.contains("\"NaN\" ×1") && n.contains("durations")));
    }

    #[test]
    fn vantage_comes_from_the_first_known_label_or_the_one_named() {
        fn series<'a>(region: &'a str, site: &'a str) -> Vec<(&'a str, &'a str)> {
            vec![
                ("__name__", "probe_success"),
                ("instance", "db.internal:5432"),
                ("region", region),
                ("site", site),
            ]
        }
        let json = write_query_range(&[
            (series("eu-west", "dub1"), vec![(100.0, "1")]),
            (series("us-east", "iad1"), vec![(100.0, "0")]),
        ]);
        let read = read_str(&json, None).unwrap();
        let names: Vec<&str> = read.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["db.internal:5432 @ eu-west", "db.internal:5432 @ us-east"]
        );
        assert_eq!(read.targets[0].host.as_deref(), Some("db.internal"));
        assert_eq!(read.targets[0].detail.as_deref(), Some("site=dub1"));
        let by_site = read_str(&json, Some("site")).unwrap();
        let vantages: Vec<Option<&str>> = by_site
            .targets
            .iter()
            .map(|t| t.vantage.as_deref())
            .collect();
        assert_eq!(vantages, [Some("dub1"), Some("iad1")]);
        let missing = read_str(&json, Some("datacenter")).unwrap();
        assert!(missing.targets.iter().all(|t| t.vantage.is_none()));
        assert_eq!(missing.probes.len(), 2, "told apart by their other labels");
        assert!(
            missing.probes[0]
                .name
                .contains("[region=eu-west, site=dub1]"),
            "{}",
            missing.probes[0].name
        );
    }

    #[test]
    fn histograms_and_unnamed_series_are_named_in_the_notes() {
        let json = br#"[{"metric":{"instance":"a:1"},"values":[[1,"1"]]},
            {"metric":{"__name__":"probe_success","instance":"b:1"},"histograms":[[1,{"count":"1"}]]}]"#;
        let read = read_str(json, None).unwrap();
        assert_eq!((read.probes.len(), read.tally.checks), (1, 1));
        assert!(read
            .notes
            .iter()
            .any(|n| n.contains("1 series have no __name__")));
        assert!(
            read.notes.iter().any(|n| n.contains("native histogram")),
            "{:?}",
            read.notes
        );
    }

    #[test]
    fn up_beside_probe_success_is_not_the_targets_answer() {
        let mut up = blackbox("eu");
        up[0] = ("__name__", "up");
        let json = write_query_range(&[
            (up, vec![(100.0, "1")]),
            (blackbox("eu"), vec![(100.0, "0")]),
        ]);
        let read = read_str(&json, None).unwrap();
        assert_eq!(read.probes.len(), 1);
        assert!(!read.probes[0].checks[0].ok());
        assert_eq!(read.tally.ignored, 1);
    }

    #[test]
    fn truncated_or_foreign_json_is_an_error_not_a_panic() {
        let json = write_query_range(&[(blackbox("eu"), vec![(100.0, "1"), (115.0, "0")])]);
        for n in 0..json.len() {
            let _ = read_str(&json[..n], None);
            let _ = sniff(&json[..n]);
        }
        let msg = err_text(read_str(&json[..json.len() - 7], None));
        assert!(
            msg.contains("ends early") && msg.contains("truncated"),
            "{msg}"
        );
        assert!(!sniff(br#"{"name":"x","values":[1]}"#));
        assert!(!sniff(b"time,status\n"));
        assert!(!sniff(br#"[{"a":1},{"metric":{},"values":[]}]"#));
        assert!(err_text(read_str(b"[1,2,3]", None)).contains("not Prometheus"));
        assert!(err_text(read_str(b"time,status", None)).contains("not Prometheus"));
        let bad_time = br#"[{"metric":{"__name__":"up","instance":"a:1"},"values":[["soon","1"],[1e300,"1"],[5,"1"]]}]"#;
        let read = read_str(bad_time, None).unwrap();
        assert_eq!((read.tally.checks, read.tally.damaged), (1, 2));
    }
}
