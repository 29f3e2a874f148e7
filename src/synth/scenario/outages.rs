//! The scenario's two outages (8 and 15 August) as the logs tell them: pool exhaustion, the
//! registry failing, MySQL crashing, and the restart.
use super::*;

/// MySQL's own lines on the Application log when it starts (after a crash: recovery first).
pub(super) fn mysql_started(log: &mut Log, ready: DateTime<Utc>, recovering: bool) {
    if recovering {
        mysql_line(
            log,
            ready - Duration::seconds(3),
            WARNING,
            "InnoDB: Database was not shut down normally! Starting crash recovery.",
        );
    }
    mysql_line(
        log,
        ready,
        INFO,
        &format!("{MYSQLD}: ready for connections.\nVersion: '{MYSQL_VERSION}'  socket: ''  port: 3306  MySQL Community Server (GPL)"),
    );
}

/// MySQL writes every line as event 100 with the text as its only Data.
pub(super) fn mysql_line(log: &mut Log, t: DateTime<Utc>, level: u8, text: &str) {
    log.push(
        t,
        APPLICATION,
        MYSQL,
        100,
        Some(Q_SUCCESS),
        level,
        unnamed(&[text]),
    );
}

pub(super) fn registry_333(log: &mut Log, t: DateTime<Utc>) {
    log.push(
        t,
        SYSTEM,
        POPUP,
        333,
        Some(Q_ERROR),
        ERROR,
        unnamed(&[REGISTRY_333]),
    );
}

/// MySQL's resource errors, cycled through.
const MYSQL_ERRORS: [&str; 4] = [
    "Out of resources when opening file '.\\sipdb\\registrations.MYD' (Errcode: 12)",
    "Can't create a new thread (errno 12); if you are not out of available memory, you can consult the manual for a possible OS-dependent bug",
    "Out of memory; restart server and try again (needed 65528 bytes)",
    "Got error 12 from storage engine",
];

// ---------------------------------------------------------------- 8 August

pub(super) fn aug08_system(log: &mut Log) {
    for t in story::aug08_333_times() {
        registry_333(log, t);
    }
    let crash = story::aug08_mysql_crash();
    log.push(
        crash,
        SYSTEM,
        SCM,
        7031,
        Some(Q_ERROR),
        ERROR,
        named(&[
            ("param1", "MySQL"),
            ("param2", "1"),
            ("param3", "60000"),
            ("param4", "1"),
            ("param5", "Restart the service"),
        ]),
    );
    service_state(log, crash, "MySQL", false);
    // The automatic restart a minute later hangs and times out.
    let retry_failed = crash + Duration::seconds(90);
    log.push(
        retry_failed,
        SYSTEM,
        SCM,
        7009,
        Some(Q_ERROR),
        ERROR,
        named(&[("param1", "30000"), ("param2", "MySQL")]),
    );
    log.push(
        retry_failed,
        SYSTEM,
        SCM,
        7000,
        Some(Q_ERROR),
        ERROR,
        named(&[
            ("param1", "MySQL"),
            (
                "param2",
                "The service did not respond to the start or control request in a timely fashion.",
            ),
        ]),
    );
    service_state(log, story::aug08_mysql_restart(), "MySQL", true);
}

pub(super) fn aug08_application(log: &mut Log) {
    let errors = [
        (pdt(2011, 8, 8, 14, 6, 12), MYSQL_ERRORS[0]),
        (pdt(2011, 8, 8, 14, 9, 40), MYSQL_ERRORS[1]),
        (pdt(2011, 8, 8, 14, 9, 55), MYSQL_ERRORS[2]),
    ];
    for (t, text) in errors {
        mysql_line(log, t, ERROR, text);
    }
    let crash = story::aug08_mysql_crash();
    let mysqld_path = format!("{MYSQLD}.exe");
    log.push(
        crash - Duration::seconds(1),
        APPLICATION,
        "Application Error",
        1000,
        Some(Q_SUCCESS),
        ERROR,
        unnamed(&[
            "mysqld.exe",
            "5.5.15.0",
            "4e1d7de5",
            "mysqld.exe",
            "5.5.15.0",
            "4e1d7de5",
            "40000015",
            "00000000003c2a1e",
            "9f4",
            "01cc4ba0f3a8c1d2",
            &mysqld_path,
            &mysqld_path,
            "b81d2e6a-c1e5-11e0-8f3e-001e0b5a2c10",
        ]),
    );
    mysql_started(log, story::aug08_mysql_restart(), true);
}

// ---------------------------------------------------------------- 15 August

pub(super) fn aug15_system(log: &mut Log) {
    let restart = story::aug15_admin_restart();
    let mut t = story::aug15_first_2020();
    while t < restart {
        log.push(
            t,
            SYSTEM,
            "Srv",
            2020,
            Some(Q_ERROR),
            ERROR,
            unnamed(&[SRV_2020]),
        );
        t += Duration::seconds(AUG15_2020_INTERVAL_SECS);
    }
    for i in 0..story::AUG15_333_COUNT as i64 {
        let t = story::aug15_storm_start() + Duration::seconds(i * story::AUG15_333_INTERVAL_SECS);
        registry_333(log, t);
    }
    // Service requests time out while the pool is empty.
    for t in [pdt(2011, 8, 15, 17, 5, 12), pdt(2011, 8, 15, 17, 41, 3)] {
        log.push(
            t,
            SYSTEM,
            SCM,
            7011,
            Some(Q_ERROR),
            ERROR,
            named(&[("param1", "30000"), ("param2", "MySQL")]),
        );
    }
    user32_1074(
        log,
        restart,
        "Other (Unplanned)",
        "0x0",
        "restart",
        "Server unresponsive, restarting",
    );
    eventlog_stopped(log, story::aug15_eventlog_stopped());
    boot_sequence(log, story::aug15_boot(), true);
}

pub(super) fn aug15_application(log: &mut Log) {
    let mut t = story::aug15_storm_start() + Duration::seconds(125);
    let mut i = 0;
    while t < story::aug15_admin_restart() {
        mysql_line(log, t, ERROR, MYSQL_ERRORS[i % MYSQL_ERRORS.len()]);
        t += Duration::seconds(AUG15_MYSQL_ERROR_INTERVAL_SECS);
        i += 1;
    }
    mysql_started(log, story::aug15_boot() + Duration::seconds(61), true);
}
