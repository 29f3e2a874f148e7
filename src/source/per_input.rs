//! What the user says about some inputs that the files cannot say about themselves: the zone of
//! their zone-less times, the day-month order of their dates, the log (channel) and the host they
//! come from. Given for all inputs (`--input-tz ZONE`) or for the paths a glob matches
//! (`--input-tz 'web*/*.csv=Europe/Berlin'`, `[[inputs]]` in faultline.toml); the last rule that
//! matches a path wins, over the rule for all.
use super::events::export::{DateOrder, ExportOptions};
use crate::timefmt::Zone;
use std::path::Path;

/// One rule: a glob over the path (or over the file name alone), and what it sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputRule {
    /// `None`: every input.
    pub pattern: Option<String>,
    pub tz: Option<Zone>,
    pub date_order: Option<DateOrder>,
    pub channel: Option<String>,
    pub host: Option<String>,
}

/// Every rule, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputRules(pub Vec<InputRule>);

/// What holds for one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForInput {
    pub tz: Zone,
    pub date_order: Option<DateOrder>,
    pub channel: Option<String>,
    pub host: Option<String>,
}

impl ForInput {
    pub fn export_options(&self) -> ExportOptions {
        ExportOptions {
            input_tz: self.tz.0,
            date_order: self.date_order,
            channel: self.channel.clone(),
            host: self.host.clone(),
            threads: 0,
        }
    }
}

impl InputRules {
    /// The settings for `path`: rules for all first, then the matching ones, later over earlier.
    pub fn for_path(&self, path: &Path) -> ForInput {
        let mut out = ForInput::default();
        let (general, specific): (Vec<&InputRule>, Vec<&InputRule>) =
            self.0.iter().partition(|r| r.pattern.is_none());
        for rule in general.into_iter().chain(
            specific
                .into_iter()
                .filter(|r| r.pattern.as_deref().is_some_and(|p| path_matches(p, path))),
        ) {
            if let Some(tz) = rule.tz {
                out.tz = tz;
            }
            if rule.date_order.is_some() {
                out.date_order = rule.date_order;
            }
            if rule.channel.is_some() {
                out.channel.clone_from(&rule.channel);
            }
            if rule.host.is_some() {
                out.host.clone_from(&rule.host);
            }
        }
        out
    }

    /// The zone for inputs no pattern names (what `--input-tz ZONE` set).
    pub fn default_tz(&self) -> Zone {
        self.0
            .iter()
            .filter(|r| r.pattern.is_none())
            .filter_map(|r| r.tz)
            .next_back()
            .unwrap_or_default()
    }
}

/// Splits `PATTERN=VALUE` (a rule for some inputs) from a plain `VALUE` (for all). A Windows
/// path with `=` is unusual enough; the last `=` separates, so the pattern may hold one.
pub fn split_rule(text: &str) -> (Option<&str>, &str) {
    match text.rsplit_once('=') {
        Some((pattern, value)) if !pattern.is_empty() => (Some(pattern), value),
        _ => (None, text),
    }
}

/// Parses `dmy`, `mdy` or `ymd`.
pub fn parse_date_order(text: &str) -> Result<DateOrder, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "dmy" => Ok(DateOrder::Dmy),
        "mdy" => Ok(DateOrder::Mdy),
        "ymd" => Ok(DateOrder::Ymd),
        other => Err(format!("{other:?} is not a date order (dmy, mdy or ymd)")),
    }
}

/// A glob (`*` any run of characters, `?` one character, case-insensitive, `\` and `/` the same)
/// against the whole path or its file name.
pub fn path_matches(pattern: &str, path: &Path) -> bool {
    let norm = |s: &str| s.replace('\\', "/").to_lowercase();
    let pattern = norm(pattern);
    let full = norm(&path.display().to_string());
    let name = path
        .file_name()
        .map(|n| norm(&n.to_string_lossy()))
        .unwrap_or_default();
    glob(pattern.as_bytes(), full.as_bytes())
        || glob(pattern.as_bytes(), name.as_bytes())
        || (!pattern.starts_with('*') && glob(format!("*/{pattern}").as_bytes(), full.as_bytes()))
}

/// `*` and `?` matching by backtracking on the last `*` (linear for the patterns people write).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_paths_and_names() {
        let p = Path::new("evidence/web01/System.csv");
        assert!(path_matches("*.csv", p));
        assert!(path_matches("web01/*", p));
        assert!(path_matches("evidence/web0?/system.CSV", p));
        assert!(path_matches("System.csv", p));
        assert!(!path_matches("web02/*", p));
        assert!(!path_matches("*.evtx", p));
        assert!(path_matches("evidence\\web01\\*", p));
    }

    #[test]
    fn later_rules_win_and_patterns_beat_the_rule_for_all() {
        let la = Zone::parse("America/Los_Angeles").unwrap();
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let rules = InputRules(vec![
            InputRule {
                pattern: Some("*.csv".into()),
                tz: Some(berlin),
                date_order: Some(DateOrder::Dmy),
                ..Default::default()
            },
            InputRule {
                tz: Some(la),
                ..Default::default()
            },
        ]);
        let csv = rules.for_path(Path::new("a/b.csv"));
        assert_eq!((csv.tz, csv.date_order), (berlin, Some(DateOrder::Dmy)));
        let evt = rules.for_path(Path::new("a/b.evt"));
        assert_eq!((evt.tz, evt.date_order), (la, None));
        assert_eq!(rules.default_tz(), la);
    }

    #[test]
    fn rules_split_on_the_last_equals_sign() {
        assert_eq!(split_rule("UTC"), (None, "UTC"));
        assert_eq!(
            split_rule("web*.csv=Europe/Berlin"),
            (Some("web*.csv"), "Europe/Berlin")
        );
        assert!(parse_date_order("DMY").is_ok() && parse_date_order("x").is_err());
    }
}
