//! A fleet's report from its hosts' reports: each host folder is read and reported on its own (so
//! memory holds one host's events at a time), then the reports are joined here and what spans
//! hosts is found again across all of them: windows of several hosts at once (`overlaps`) and
//! windows with the same signature on other hosts (`related`).
use super::report::{add_related, overlaps, Report};

/// One report of every unit's report, windows in time order. `units` must be one host each (the
/// caller checks): a host's story is only whole within its own unit.
pub fn merge(units: Vec<Report>) -> Option<Report> {
    // The fleet's host: the one with the most events, as a single report names it.
    let host = units
        .iter()
        .filter_map(|r| {
            let name = r.host.as_ref()?;
            let events = r.hosts.iter().find(|h| &h.name == name).map(|h| h.events);
            Some((events.unwrap_or(0), name.clone()))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, name)| name);
    // Each window's unit and place there, to number the clock notes of the joined windows.
    let mut origin: Vec<(usize, usize)> = Vec::new();
    let mut clock_parts = Vec::new();
    let mut units = units.into_iter().enumerate();
    let (_, mut all) = units.next()?;
    origin.extend((0..all.outages.len()).map(|i| (0, i)));
    for (u, r) in units {
        origin.extend((0..r.outages.len()).map(|i| (u, i)));
        all.hosts.extend(r.hosts);
        all.inputs.extend(r.inputs);
        all.probes.extend(r.probes);
        all.outages.extend(r.outages);
        all.blips.extend(r.blips);
        all.maintenance.extend(r.maintenance);
        all.downtime.extend(r.downtime);
        all.service_downtime.extend(r.service_downtime);
        all.clock_changes.extend(r.clock_changes);
        all.changes.extend(r.changes);
        let (dq, more) = (&mut all.data_quality, r.data_quality);
        dq.records_read += more.records_read;
        dq.records_skipped += more.records_skipped;
        dq.unusable_inputs.extend(more.unusable_inputs);
        dq.gaps.extend(more.gaps);
        clock_parts.push((u, more.clock_parts));
        dq.corrected_event_times += more.corrected_event_times;
        for note in more.notes {
            if !dq.notes.contains(&note) {
                dq.notes.push(note);
            }
        }
    }
    // Windows in time order (stable: one unit's order stays), their origins with them.
    let mut order: Vec<usize> = (0..all.outages.len()).collect();
    order.sort_by_key(|&i| all.outages[i].window.start);
    let mut slots: Vec<Option<super::report::OutageReport>> = std::mem::take(&mut all.outages)
        .into_iter()
        .map(Some)
        .collect();
    all.outages = order.iter().filter_map(|&i| slots[i].take()).collect();
    let place = |unit: usize, local: usize| {
        order
            .iter()
            .position(|&i| origin[i] == (unit, local))
            .unwrap_or(local)
    };
    // The clock lines again: counts summed, window notes numbered as the joined report does.
    let mut parts = std::mem::take(&mut all.data_quality.clock_parts);
    parts.windows = parts
        .windows
        .into_iter()
        .map(|(i, t)| (place(0, i), t))
        .collect();
    for (u, more) in clock_parts {
        parts.join(more, |i| place(u, i));
    }
    all.data_quality.clock = parts.lines();
    all.data_quality.clock_parts = parts;
    all.host = host;
    // Stable sorts: what one unit listed in its order stays in that order.
    all.blips.sort_by_key(|b| b.start);
    all.maintenance.sort_by_key(|m| m.start);
    all.downtime.sort_by_key(|d| d.down_at);
    all.service_downtime.sort_by_key(|s| s.down_at);
    all.clock_changes.sort_by_key(|c| c.time);
    all.changes.sort_by_key(|c| std::cmp::Reverse(c.time));
    all.data_quality.gaps.sort_by_key(|g| g.from);
    // What spans hosts, found again over the fleet's windows.
    for o in &mut all.outages {
        o.related.clear();
    }
    add_related(&mut all.outages);
    all.overlaps = overlaps(&all.outages);
    Some(all)
}
