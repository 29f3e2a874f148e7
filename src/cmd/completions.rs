//! `faultline completions SHELL` and `faultline man`: generated from the one clap definition.
use crate::cli::{Cli, CompletionsArgs};
use crate::Outcome;
use clap::CommandFactory;
use std::io::Write;

pub fn completions(args: CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "faultline", &mut script);
    out.write_all(&script)?;
    Ok(Outcome::Clean)
}

/// The main page followed by one section per subcommand, as one roff document.
pub fn man(out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands() {
        // Leaked once per subcommand for clap's 'static name; the process ends right after.
        let name: &'static str =
            Box::leak(format!("faultline-{}", sub.get_name()).into_boxed_str());
        clap_mangen::Man::new(sub.clone().name(name)).render(out)?;
    }
    Ok(Outcome::Clean)
}
