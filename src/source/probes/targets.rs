//! `--target`: the probes of the server a report is about, out of an export of many monitors
//! (an Uptime Kuma database, a Prometheus capture of every instance).
use crate::error::{Error, Result};
use crate::model::ProbeSeries;

/// Names listed in a note or an error before "and N more".
const NAMED: usize = 5;

/// Keeps the probes whose target, name or host contains one of `wanted` (in any case), and says
/// how many were left out, naming a few. None kept is an error that names the probes there are.
pub fn keep_targets(
    probes: Vec<ProbeSeries>,
    wanted: &[String],
) -> Result<(Vec<ProbeSeries>, Option<String>)> {
    if wanted.is_empty() {
        return Ok((probes, None));
    }
    let wanted: Vec<String> = wanted.iter().map(|w| w.to_lowercase()).collect();
    let matches = |p: &ProbeSeries| {
        let fields = [Some(&p.name), p.target.as_ref(), p.host.as_ref()];
        fields.into_iter().flatten().any(|f| {
            let f = f.to_lowercase();
            wanted.iter().any(|w| f.contains(w.as_str()))
        })
    };
    let total = probes.len();
    let (kept, left): (Vec<ProbeSeries>, Vec<ProbeSeries>) = probes.into_iter().partition(matches);
    let asked = wanted.join(", ");
    if kept.is_empty() {
        let there = if left.is_empty() {
            "no probe was read".to_string()
        } else {
            format!("the probes: {}", named(&left))
        };
        return Err(Error::arg(
            "--target",
            format!("no probe's target, name or host contains {asked} ({there})"),
        ));
    }
    let note = (!left.is_empty()).then(|| {
        format!(
            "--target {asked}: {} of {total} probes kept; left out: {}",
            kept.len(),
            named(&left)
        )
    });
    Ok((kept, note))
}

/// "a, b, c, d, e and 12 more".
fn named(probes: &[ProbeSeries]) -> String {
    let mut names: Vec<&str> = probes.iter().map(|p| p.name.as_str()).collect();
    names.dedup();
    let more = names.len().saturating_sub(NAMED);
    names.truncate(NAMED);
    let list = names.join(", ");
    if more > 0 {
        format!("{list} and {more} more")
    } else {
        list
    }
}
