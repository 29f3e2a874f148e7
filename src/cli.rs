//! The command line, as clap derive structs only. `cmd/` turns these into plain settings.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("FAULTLINE_GIT_COMMIT"), ")"),
    about = "Outage forensics for Windows servers: event logs, uptime probes and perfmon counters on one UTC timeline, and a draft outage report",
    after_help = "Examples:\n  faultline report fixtures/aug15\n  faultline events fixtures/aug15 --id 333 --count\n  faultline probes fixtures/aug15 --tz America/Los_Angeles"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Exit with code 1 when any input record or row had to be skipped.
    #[arg(long, global = true)]
    pub strict: bool,
    /// No progress or summary lines on stderr (errors are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Settings file (default: faultline.toml in the first input folder, when there is one).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read EVTX files and print their events in time order, filtered.
    #[command(
        after_help = "Examples:\n  faultline events fixtures/aug15 --id 333 --count\n  faultline events fixtures/aug15/System.evtx --id 6005,6006,6008,1074 --tz America/Los_Angeles\n  faultline events fixtures/aug15 --level warning --from 2011-08-15T23:00:00Z --format jsonl"
    )]
    Events(EventsArgs),
    /// Read uptime-probe CSV exports and find the outage windows.
    #[command(
        after_help = "Examples:\n  faultline probes fixtures/aug15\n  faultline probes fixtures/aug15 --tz America/Los_Angeles --format json\n  faultline probes --explain fixtures/aug15/probes_remote.csv"
    )]
    Probes(ProbesArgs),
    /// Read perfmon (PDH-CSV) and metric CSVs and summarize each series.
    #[command(
        after_help = "Examples:\n  faultline metrics fixtures/aug15\n  faultline metrics fixtures/aug15 --match 'Pool Paged|Handle Count'\n  faultline metrics fixtures/aug15 --resample 5m > series.csv"
    )]
    Metrics(MetricsArgs),
    /// Write the draft outage report (markdown or JSON) from all the evidence.
    #[command(
        after_help = "Examples:\n  faultline report fixtures/aug15\n  faultline report fixtures/aug15 --tz America/Los_Angeles -o outage.md --chart outage.svg\n  faultline report fixtures/aug15 --format json\n  faultline report fixtures/aug15 --format html -o outage.html\n  faultline report fixtures/aug15 --format grafana --annotate events --dashboard-uid abc123 > annotations.json"
    )]
    Report(ReportArgs),
    /// Every event, probe transition and threshold crossing merged in time order.
    #[command(
        after_help = "Examples:\n  faultline timeline fixtures/aug15 --from 2011-08-15T22:00:00Z --to 2011-08-16T03:00:00Z\n  faultline timeline fixtures/aug15 --format csv -o timeline.csv\n  faultline timeline fixtures/aug15 --format timesketch-jsonl -o timeline.jsonl"
    )]
    Timeline(TimelineArgs),
    /// Write the deterministic aug15 scenario (EVTX, probe and perfmon CSVs) into a folder.
    #[command(
        after_help = "Examples:\n  faultline synth aug15-copy\n  faultline synth big --scale 20000"
    )]
    Synth(SynthArgs),
    /// What an event id means, why it matters in an outage, and what to check next.
    #[command(
        after_help = "Examples:\n  faultline explain 333\n  faultline explain EventLog:6008"
    )]
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  faultline completions bash > faultline.bash\n  faultline completions zsh > _faultline\n  faultline completions fish > faultline.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) for faultline and its subcommands.
    #[command(after_help = "Examples:\n  faultline man > faultline.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Input paths and how to treat them.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Files or directories (searched recursively; each file's kind is told by its content).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Zone of timestamps that carry no zone (IANA name, e.g. America/Los_Angeles) [default: UTC];
    /// `PATTERN=ZONE` for the inputs a glob matches (repeatable).
    #[arg(long, value_name = "[PATTERN=]ZONE")]
    pub input_tz: Vec<String>,
    /// Day-month order of numeric dates in exports: dmy, mdy or ymd [default: decided by the
    /// file's values]; `PATTERN=ORDER` for some inputs (repeatable).
    #[arg(long, value_name = "[PATTERN=]ORDER")]
    pub date_order: Vec<String>,
    /// The log (channel) of exports that do not name it, e.g. System; `PATTERN=NAME` for some.
    #[arg(long, value_name = "[PATTERN=]NAME")]
    pub log_name: Vec<String>,
    /// The computer of exports that do not name it; `PATTERN=NAME` for some (repeatable).
    #[arg(long, value_name = "[PATTERN=]NAME")]
    pub host: Vec<String>,
}

/// Filters over events, shared by `events` and `timeline`.
#[derive(Debug, Args, Clone, Default)]
pub struct EventFilterArgs {
    /// Event ids: a list and ranges, e.g. 333,6008 or 7000-7011.
    #[arg(long, value_name = "IDS")]
    pub id: Option<String>,
    /// Provider name (case-insensitive substring).
    #[arg(long)]
    pub provider: Option<String>,
    /// Channel name (case-insensitive, exact), e.g. System.
    #[arg(long)]
    pub channel: Option<String>,
    /// This level and worse: critical, error, warning, information, verbose.
    #[arg(long)]
    pub level: Option<String>,
    /// Only from this time on (RFC 3339, or 'YYYY-MM-DD HH:MM' in --tz).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only up to this time (inclusive).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Regular expression over the provider and the rendered event data.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventsFormat {
    Table,
    Csv,
    Jsonl,
    Json,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filter: EventFilterArgs,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<EventsFormat>,
    /// Zone that table and csv times are shown in (json/jsonl are always UTC) [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Print counts per (channel, provider, event id) instead of the events.
    #[arg(long)]
    pub count: bool,
    /// Worker threads for parsing (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// How probe checks become outage windows; shared by `probes`, `report` and `timeline`.
#[derive(Debug, Args, Clone)]
pub struct ProbeArgs {
    /// The probe that runs on the server itself (default: a probe whose name says local/onbox/self).
    #[arg(long, value_name = "NAME")]
    pub local: Option<String>,
    /// When an export has no status column, a check whose latency is at or over this failed
    /// (a status cell, where there is one, decides) [default: 15s].
    #[arg(long)]
    pub timeout: Option<String>,
    /// Runs of fewer consecutive failed checks are blips, not outages [default: 2].
    #[arg(long)]
    pub min_failures: Option<usize>,
    /// Windows closer than this are merged [default: 5m].
    #[arg(long)]
    pub merge_gap: Option<String>,
    /// Override column detection: time=COL,probe=COL,status=COL,latency=COL; in a file of several
    /// targets, target=COL,vantage=COL instead of probe=COL.
    #[arg(long, value_name = "MAP")]
    pub columns: Option<String>,
    /// A degraded state (Nagios WARNING) is an outage, not only shown.
    #[arg(long)]
    pub warning_is_down: bool,
    /// The Prometheus label that says where a check ran from [default: the first of location,
    /// probe, region, prober, site that a series has].
    #[arg(long, value_name = "LABEL")]
    pub vantage_label: Option<String>,
    /// Keep only the probes whose target, name or host contains TEXT, in any case (repeatable):
    /// the monitors of the server the report is about, out of an export of many.
    #[arg(long = "target", value_name = "TEXT")]
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ProbesArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Zone that table times are shown in [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Print which columns and units were detected in each file, and why.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only series whose name matches this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub match_: Option<String>,
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Zone that table times are shown in [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Print the series aligned on this step as one CSV (time + one column per series).
    #[arg(long, value_name = "STEP")]
    pub resample: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
    /// Grafana annotations: a JSON array of bodies for POST /api/annotations.
    Grafana,
    /// One self-contained HTML page (chart and styles inline), for a browser or print.
    Html,
}

/// What `--format grafana` annotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Annotate {
    /// One region per outage window.
    Windows,
    /// The windows and each window's signature events.
    Events,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Treat these files as EVTX, whatever their content looks like.
    #[arg(long, value_name = "FILE")]
    pub evtx: Vec<PathBuf>,
    /// Treat these files as probe CSVs.
    #[arg(long, value_name = "FILE")]
    pub probes: Vec<PathBuf>,
    /// Treat these files as metric CSVs (PDH or generic).
    #[arg(long, value_name = "FILE")]
    pub metrics: Vec<PathBuf>,
    /// Zone that report times are shown in (UTC is shown alongside) [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// How far before each window to look for events and metric trends [default: 2h].
    #[arg(long)]
    pub lookback: Option<String>,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReportFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also draw the main outage as an SVG chart into this file (the markdown links it).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// With --format grafana: annotate the windows only, or their signature events too
    /// [default: windows].
    #[arg(long, value_enum, value_name = "WHAT")]
    pub annotate: Option<Annotate>,
    /// With --format grafana: the dashboard the annotations belong to (default: organization
    /// annotations, shown on any dashboard that asks for their tags).
    #[arg(long, value_name = "UID")]
    pub dashboard_uid: Option<String>,
    /// With --format grafana and --dashboard-uid: the panel they are shown on.
    #[arg(long, value_name = "ID", requires = "dashboard_uid")]
    pub panel_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    Table,
    Csv,
    Jsonl,
    Parquet,
    /// Timesketch's CSV import format (with window markers and the fields apart).
    Timesketch,
    /// Timesketch's JSON Lines import format.
    TimesketchJsonl,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(flatten)]
    pub filter: EventFilterArgs,
    /// Zone that times are shown in [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TimelineFormat,
    /// Write to this file (atomically) instead of stdout; required for parquet.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --format parquet: write a Hive-partitioned dataset into the folder -o names
    /// (host=H/date=YYYY-MM-DD/part-N.parquet), one host folder of the input at a time.
    #[arg(long)]
    pub partition: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write the scenario into (created if missing).
    pub out_dir: PathBuf,
    /// Write a scaled-up System.evtx of about this many records (for benchmarks).
    #[arg(long, value_name = "RECORDS")]
    pub scale: Option<u64>,
    /// With --scale: rows of probe checks to write.
    #[arg(long, value_name = "ROWS")]
    pub probe_rows: Option<u64>,
    /// With --scale: perfmon counters x samples, e.g. 50x86400.
    #[arg(long, value_name = "CxS")]
    pub perfmon: Option<String>,
    /// Write the scenario's event logs as exports instead (Event Viewer CSV/TXT/XML, PowerShell
    /// CSV/JSON, wevtutil, evtx_dump, EvtxECmd, .evt), e.g. into fixtures/aug15-exports.
    /// With --scale: a System log of that many records in each export format, an Uptime Kuma
    /// database and a Prometheus answer of as many checks (for benchmarks).
    #[arg(long, conflicts_with_all = ["probe_rows", "perfmon"])]
    pub exports: bool,
    /// Write the scenario's probes as other monitors export them instead (UptimeRobot CSV,
    /// Pingdom JSON, a Nagios log, Zabbix NDJSON and Problems CSV, an Uptime Kuma database and a
    /// Prometheus answer), e.g. into fixtures/aug15-probe-exports.
    #[arg(long, conflicts_with_all = ["probe_rows", "perfmon", "exports", "scale", "hosts"])]
    pub probe_exports: bool,
    /// Write the targets scenario instead: one monitor checking three targets of SIPSVR01 (all
    /// down on 15 Aug, MySQL alone on 18 Aug, a maintenance on 20 Aug) as an Uptime Kuma database
    /// and a probe CSV, e.g. into fixtures/targets.
    #[arg(long, conflicts_with_all = ["probe_rows", "perfmon", "exports", "scale", "hosts", "probe_exports"])]
    pub targets: bool,
    /// Write the several-hosts scenario instead: N hosts' System logs (`HOST/System.evtx`) with a
    /// planned restart, an unclean crash, a VM clock correction, and a crash they share. With
    /// --scale: about that many records in each host's log (a fleet for benchmarks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..),
          conflicts_with_all = ["probe_rows", "perfmon", "exports"])]
    pub hosts: Option<u16>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An event id (333) or provider:id (EventLog:6008).
    pub id: String,
}
