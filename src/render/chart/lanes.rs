//! The status lanes: one per probe, its checks or its states as coloured stretches.
use super::*;

/// One lane per probe: green where checks answered, red where they failed, blank without data.
pub(super) fn status_lanes(area: &Area, data: &ChartData, xmap: &XMap) -> Result<(), String> {
    area.draw(&Text::new(
        "probe checks and states (green up, red down, amber degraded, blue maintenance, blank no data)",
        (xmap.left, 5),
        text_style(LABEL_SIZE, MUTED),
    ))
    .map_err(err)?;
    for (i, p) in data.probes.iter().enumerate() {
        let y0 = 22 + i as i32 * LANE as i32;
        let y1 = y0 + LANE as i32 - 3;
        area.draw(&Text::new(
            p.name.clone(),
            (xmap.left - 8, (y0 + y1) / 2),
            text_style(LABEL_SIZE, INK).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        let step = typical_step(p);
        let checks: Vec<_> = p
            .checks
            .iter()
            .filter(|c| c.time + step >= data.from && c.time <= data.to)
            .collect();
        // Merge runs of the same state into one rectangle each.
        let mut run: Option<(bool, DateTime<Utc>, DateTime<Utc>)> = None;
        let mut rects = Vec::new();
        for (j, c) in checks.iter().enumerate() {
            let next = checks.get(j + 1).map(|n| n.time);
            let until = match next {
                Some(n) if n - c.time <= step * 3 => n,
                _ => c.time + step,
            };
            run = match run {
                Some((ok, start, end)) if ok == c.ok() && end == c.time => Some((ok, start, until)),
                Some(done) => {
                    rects.push(done);
                    Some((c.ok(), c.time, until))
                }
                None => Some((c.ok(), c.time, until)),
            };
        }
        rects.extend(run);
        let mut colored: Vec<(RGBColor, DateTime<Utc>, DateTime<Utc>)> = rects
            .into_iter()
            .map(|(ok, start, end)| (if ok { UP } else { DOWN }, start, end))
            .collect();
        // A state-change export's intervals: drawn as they are; unknown stays blank.
        colored.extend(
            p.intervals
                .iter()
                .filter(|iv| iv.end >= data.from && iv.start <= data.to)
                .filter_map(|iv| {
                    let color = match iv.state {
                        ProbeState::Up => UP,
                        ProbeState::Down => DOWN,
                        ProbeState::Degraded => DEGRADED,
                        ProbeState::Maintenance => MAINTENANCE,
                        ProbeState::Blip => DOWN,
                        ProbeState::Unknown => return None,
                    };
                    Some((color, iv.start.max(data.from), iv.end.min(data.to)))
                }),
        );
        for (color, start, end) in colored {
            let (x0, x1) = (xmap.px(start), xmap.px(end));
            area.draw(&Rectangle::new(
                [(x0, y0), (x1.max(x0 + 1), y1)],
                color.filled(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}
