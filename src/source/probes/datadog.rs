//! Datadog Synthetics API test results JSON -> checks: `check_time` (ms), `probe_dc` the vantage,
//! `result.passed` the answer, `result.timings.total` the response time; the target is the file's
//! name (one test per file).
use super::store::{ProbeStoreRead, ProbeTarget, StoreBuilder};
use crate::error::{Error, Result};
use crate::model::Check;
use chrono::DateTime;
use serde_json::Value;
use std::path::Path;

pub const KIND: super::StoreKind = super::StoreKind::DatadogSynthetics;

/// `{"results":[{"check_time":..,"probe_dc":..,"result":{..}}]}`
pub fn sniff(head: &[u8]) -> bool {
    let t = crate::source::text::decode_head(head);
    t.trim_start().starts_with('{')
        && t.contains("\"results\"")
        && t.contains("\"check_time\"")
        && t.contains("\"probe_dc\"")
}

pub fn read(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes)
}

pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let doc: Value = super::states::parse_json(path, bytes, "Datadog Synthetics results")?;
    let Some(results) = doc.get("results").and_then(Value::as_array) else {
        return Err(Error::bad_input(path, "no results list"));
    };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("datadog test")
        .to_string();
    let mut b = StoreBuilder::new(path, KIND);
    b.note(format!(
        "Datadog Synthetics results: the target is the file's name, {name:?}; probe_dc is the vantage; passed true/false"
    ));
    for (i, r) in results.iter().enumerate() {
        let Some(t) = r
            .get("check_time")
            .and_then(Value::as_f64)
            .and_then(|ms| DateTime::from_timestamp_millis(ms as i64))
        else {
            b.damaged(format!("results[{i}]: no check_time"));
            continue;
        };
        let vantage = r
            .get("probe_dc")
            .and_then(Value::as_str)
            .map(str::to_string);
        let p = b.probe(&ProbeTarget {
            target: name.clone(),
            vantage,
            host: None,
            detail: None,
        });
        let result = r.get("result");
        let latency = result
            .and_then(|x| x.pointer("/timings/total"))
            .and_then(Value::as_f64)
            .map(|ms| ms as f32);
        match result.and_then(|x| x.get("passed")) {
            Some(Value::Bool(ok)) => b.check(p, Check::new(t, *ok, latency)),
            other => b.unknown(format!(
                "results[{i}]: result.passed is {}, not true or false",
                other.map_or("missing".to_string(), Value::to_string)
            )),
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"last_timestamp_fetched":1709287260000,"results":[
      {"check_time":1709287200000,"probe_dc":"aws:eu-central-1","result_id":"1","result":{"passed":true,"timings":{"total":123.4}}},
      {"check_time":1709287200000,"probe_dc":"aws:us-east-2","result_id":"2","result":{"passed":false,"timings":{"total":30000}}},
      {"check_time":1709287260000,"probe_dc":"aws:us-east-2","result_id":"3","result":{"passed":"maybe"}},
      {"probe_dc":"aws:us-east-2"}]}"#;

    #[test]
    fn results_are_checks_per_location() {
        assert!(sniff(JSON.as_bytes()));
        let r = read_bytes(Path::new("api-test.json"), JSON.as_bytes()).unwrap();
        let names: Vec<&str> = r.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["api-test @ aws:eu-central-1", "api-test @ aws:us-east-2"]
        );
        assert!(r.probes[0].checks[0].ok());
        assert!(!r.probes[1].checks[0].ok());
        assert_eq!(r.probes[0].checks[0].latency_ms(), Some(123.4));
        assert_eq!((r.tally.unknown, r.tally.damaged), (1, 1));
        assert_eq!(r.report.problems.len(), 2);
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        for n in 0..JSON.len() {
            let _ = read_bytes(Path::new("t.json"), &JSON.as_bytes()[..n]);
        }
    }
}
