//! The `events` listing, driven over the EVTX reader: JSON Lines and CSV streamed as the files are
//! read (JSON Lines straight from the chunks' bytes where the filter allows), counts added up per
//! chunk, tables and JSON from every event read; and events already read (with exports) listed.
use super::event_runs::{self as runs, LineFormat, Run};
use super::events::{self as render, ListFormat};
use crate::filter::EventFilter;
use crate::model::{Event, InputReport};
use crate::progress::Progress;
use crate::source::events::evtx::stream::{self, Block, Flush};
use crate::source::events::evtx::{self, lines, ChunkMap, ChunkRead};
use crate::source::events::export::Counted;
use crate::source::events::sort_events;
use crate::timefmt::Zone;
use std::io::Write;
use std::path::Path;

/// How the listing is made.
pub struct Listing<'a> {
    pub filter: &'a EventFilter,
    /// Worker threads per file (0: all cores).
    pub threads: usize,
    pub format: ListFormat,
    /// Where table and CSV times are shown.
    pub zone: Zone,
    /// Counts per (channel, provider, event id) instead of the events.
    pub count: bool,
    /// Told of each file done; finished once the files are read (before a table is written).
    pub progress: &'a Progress,
}

impl Listing<'_> {
    /// Lists (or counts) the events of EVTX files: each file's report (or why it could not be
    /// read), in the order of `paths`, and how many events were listed or counted.
    pub fn write_evtx(
        &self,
        out: &mut dyn Write,
        paths: &[&Path],
    ) -> std::io::Result<(Vec<InputReport>, u64)> {
        let on_file = |p: &Path| self.progress.file_done(p);
        let line_format = match self.format {
            ListFormat::Jsonl => Some(LineFormat::Jsonl),
            ListFormat::Csv => Some(LineFormat::Csv(self.zone)),
            ListFormat::Table | ListFormat::Json => None,
        };
        if self.count {
            // Counted per chunk on the workers and added up: no event is held.
            let counter = Counter {
                direct: self.filter.by_id_and_time_only(),
            };
            let (parts, reports) =
                evtx::read_evtx_files_mapped(paths, self.filter, self.threads, &on_file, &counter);
            self.progress.finish();
            let counts = render::merge_counts(parts);
            render::write_counts(out, &counts, self.format, self.zone)?;
            return Ok((reports, counts.iter().map(|c| c.count).sum()));
        }
        if let Some(line_format) = line_format {
            // Streamed: lines rendered per chunk on the workers, merged in time order as written.
            let (read, matched) =
                write_streamed(paths, self.filter, self.threads, line_format, &on_file, out)?;
            let reports = paths
                .iter()
                .zip(read)
                .map(|(path, read)| {
                    read.unwrap_or_else(|err| {
                        InputReport::unusable(
                            path,
                            crate::model::InputKind::Evtx,
                            err.message_for(path),
                        )
                    })
                })
                .collect();
            self.progress.finish();
            return Ok((reports, matched));
        }
        let keep = |events: Vec<Event>| events;
        let (chunks, reports) =
            evtx::read_evtx_files_mapped(paths, self.filter, self.threads, &on_file, &keep);
        let mut events: Vec<Event> = chunks.into_iter().flatten().collect();
        self.progress.finish();
        // Chunk order is not time order: sort, keeping file and record order for equal times.
        sort_events(&mut events);
        render::write_events(out, &events, self.format, self.zone)?;
        Ok((reports, events.len() as u64))
    }

    /// Writes the counts of an export counted as it was read (`source::events::count_export`);
    /// how many events were counted.
    pub fn write_counted(
        &self,
        out: &mut dyn Write,
        counted: Vec<Counted>,
    ) -> std::io::Result<u64> {
        let part = counted
            .into_iter()
            .map(|c| render::EventCount {
                channel: c.channel,
                provider: c.provider,
                event_id: c.event_id,
                count: c.count,
                first: c.first,
                last: c.last,
            })
            .collect();
        let counts = render::merge_counts([part]);
        render::write_counts(out, &counts, self.format, self.zone)?;
        Ok(counts.iter().map(|c| c.count).sum())
    }

    /// Lists (or counts) events already read and in listing order; how many were listed or
    /// counted.
    pub fn write_events(&self, out: &mut dyn Write, events: &[Event]) -> std::io::Result<u64> {
        if self.count {
            let counts = render::merge_counts([render::count_chunk(events)]);
            render::write_counts(out, &counts, self.format, self.zone)?;
            Ok(counts.iter().map(|c| c.count).sum())
        } else {
            render::write_events(out, events, self.format, self.zone)?;
            Ok(events.len() as u64)
        }
    }
}

/// The JSON Lines or CSV listing of `paths`, written to `out` as the files are read (see
/// `source::events::evtx::stream` and `render::event_runs`): each file's report (or why it could
/// not be read), and how many lines were written.
pub fn write_streamed(
    paths: &[&Path],
    filter: &EventFilter,
    threads: usize,
    format: LineFormat,
    on_file: &(dyn Fn(&Path) + Sync),
    out: &mut dyn Write,
) -> std::io::Result<(Vec<crate::error::Result<InputReport>>, u64)> {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut merger = runs::Merger::new(&names);
    let render = Lines {
        format,
        direct: matches!(format, LineFormat::Jsonl) && filter.by_id_and_time_only(),
        spare: merger.spare_runs(),
    };
    if matches!(format, LineFormat::Csv(_)) {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(render::CSV_HEADER)?;
        w.flush()?;
    }
    let mut sink = |block: Block<Run>| {
        for run in block.chunks {
            merger.push(block.file, run)?;
        }
        match block.flush {
            Flush::Nothing => Ok(()),
            Flush::Before(t) => merger.flush(&mut *out, Some(t)),
            Flush::All => merger.flush(&mut *out, None),
        }
    };
    let reports = stream::stream_evtx_files(paths, filter, threads, on_file, &render, &mut sink)?;
    let written = merger.finish(out)?;
    Ok((reports, written))
}

/// Each chunk's events counted by (channel, provider, id): straight from the chunk's bytes by
/// the EVTX reader's line decoder where event id and time alone decide what passes, else
/// through `Event`s.
struct Counter {
    direct: bool,
}

impl ChunkMap for Counter {
    type Out = Vec<render::EventCount>;

    fn events(&self, events: Vec<Event>) -> Self::Out {
        render::count_chunk(&events)
    }

    fn fast(
        &self,
        data: &[u8],
        filter: &EventFilter,
        _source_json: &[u8],
    ) -> Option<ChunkRead<Self::Out>> {
        if !self.direct {
            return None;
        }
        let mut counts = render::ChunkCounts::default();
        let read = lines::chunk_heads(data, filter, |id, time, channel, provider| {
            counts.add(id, time, channel, provider)
        })?;
        Some(read.map(|()| counts.into_counts()))
    }
}

/// Each chunk's events as a run of listing lines: JSON Lines written straight from the chunk's
/// bytes by the EVTX reader's line decoder where event id and time alone decide what passes,
/// else through `Event`s.
struct Lines {
    format: LineFormat,
    /// Straight from the chunk bytes (JSON Lines and a filter on id and time only).
    direct: bool,
    /// Buffers of runs written, to write lines into again.
    spare: std::sync::Arc<runs::SpareRuns>,
}

impl ChunkMap for Lines {
    type Out = Run;

    fn events(&self, events: Vec<Event>) -> Run {
        runs::render_run(events, self.format)
    }

    fn fast(
        &self,
        data: &[u8],
        filter: &EventFilter,
        source_json: &[u8],
    ) -> Option<ChunkRead<Run>> {
        if !self.direct {
            return None;
        }
        let read = lines::chunk_read(data, filter, source_json, self.spare.take())?;
        Some(read.map(|l| runs::run_of_lines(l.keys, l.ends, l.bytes)))
    }
}
