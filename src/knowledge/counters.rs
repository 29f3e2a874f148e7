//! Perfmon counters that matter for resource exhaustion, with thresholds and their sources, loaded
//! once from data/counters.toml.
use crate::model::MetricSeries;
use serde::Serialize;

pub use super::schema::Direction;
use super::schema::RuleFile;
use std::sync::OnceLock;

const COUNTERS_TOML: &str = include_str!("../../data/counters.toml");

/// Which series a rule applies to: any of these objects (any instance) and this counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterMatch {
    pub objects: Vec<String>,
    pub counter: String,
}

impl CounterMatch {
    pub fn is_match(&self, object: &str, counter: &str) -> bool {
        self.counter.eq_ignore_ascii_case(counter.trim())
            && self
                .objects
                .iter()
                .any(|o| o.eq_ignore_ascii_case(object.trim()))
    }
}

/// One rule of thumb for one counter.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterRule {
    pub id: String,
    pub matches: CounterMatch,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub direction: Direction,
    /// A rise faster than this per hour is worth a look (leaks).
    pub trend_per_hour: Option<f64>,
    /// A machine-dependent threshold in words (e.g. "warning above 10% of RAM").
    pub relative: Option<String>,
    pub meaning: String,
    pub source: String,
}

/// How bad a value is against a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl CounterRule {
    /// Whether `value` is past the critical or warning threshold.
    pub fn severity_of(&self, value: f64) -> Option<Severity> {
        let past = |limit: Option<f64>| {
            limit.is_some_and(|l| match self.direction {
                Direction::Above => value > l,
                Direction::Below => value < l,
            })
        };
        if past(self.critical) {
            Some(Severity::Critical)
        } else if past(self.warning) {
            Some(Severity::Warning)
        } else {
            None
        }
    }
}

/// Every counter rule, parsed once. The data file is part of the binary and checked by tests, so a
/// parse failure is a build defect: it is reported on stderr and no rules are used.
pub fn counter_rules() -> &'static [CounterRule] {
    static RULES: OnceLock<Vec<CounterRule>> = OnceLock::new();
    RULES.get_or_init(|| match parse_rules(COUNTERS_TOML) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("faultline: data/counters.toml: {e}");
            Vec::new()
        }
    })
}

fn parse_rules(text: &str) -> Result<Vec<CounterRule>, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(file
        .rule
        .into_iter()
        .map(|r| CounterRule {
            id: r.id,
            matches: CounterMatch {
                objects: r.objects,
                counter: r.counter,
            },
            warning: r.warning,
            critical: r.critical,
            direction: r.direction,
            trend_per_hour: r.trend_per_hour,
            relative: r.relative,
            meaning: r.meaning,
            source: r.source,
        })
        .collect())
}

/// The rule for a perfmon series (by its object and counter), if there is one.
pub fn rule_for(series: &MetricSeries) -> Option<&'static CounterRule> {
    let (object, counter) = (series.object.as_deref()?, series.counter.as_deref()?);
    counter_rules()
        .iter()
        .find(|r| r.matches.is_match(object, counter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(object: &str, instance: Option<&str>, counter: &str) -> MetricSeries {
        MetricSeries {
            name: format!("\\\\H\\{object}\\{counter}"),
            host: Some("H".into()),
            object: Some(object.into()),
            instance: instance.map(str::to_string),
            counter: Some(counter.into()),
            samples: Default::default(),
            source_file: "t.csv".into(),
        }
    }

    #[test]
    fn the_data_file_parses_and_every_rule_has_a_source_and_a_check() {
        let rules = parse_rules(COUNTERS_TOML).expect("data/counters.toml parses");
        assert!(rules.len() >= 12);
        for r in &rules {
            assert!(!r.source.is_empty() && !r.meaning.is_empty(), "{}", r.id);
            assert!(
                r.warning.is_some()
                    || r.critical.is_some()
                    || r.trend_per_hour.is_some()
                    || r.relative.is_some(),
                "{} checks nothing",
                r.id
            );
        }
    }

    #[test]
    fn rules_match_any_instance_case_insensitively() {
        let r = rule_for(&series("process", Some("mysqld"), "handle count")).unwrap();
        assert_eq!(r.id, "process_handle_count");
        let r = rule_for(&series(
            "PhysicalDisk",
            Some("0 C:"),
            "Avg. Disk sec/Transfer",
        ))
        .unwrap();
        assert_eq!(r.severity_of(0.03), Some(Severity::Critical));
        assert_eq!(r.severity_of(0.02), Some(Severity::Warning));
        assert_eq!(r.severity_of(0.005), None);
        assert!(rule_for(&series("Memory", None, "Cache Bytes")).is_none());
    }

    #[test]
    fn below_rules_flag_low_values() {
        let r = rule_for(&series("Memory", None, "Free System Page Table Entries")).unwrap();
        assert_eq!(r.severity_of(5000.0), Some(Severity::Critical));
        assert_eq!(r.severity_of(15000.0), Some(Severity::Warning));
        assert_eq!(r.severity_of(150000.0), None);
    }
}
