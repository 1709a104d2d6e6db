//! STEDI zones on small hand-built landing files: exact rows of every zone.
mod common;
use common::{stderr, stdout, Workspace};

fn customer(name: &str, serial: &str, updated: u64, research: Option<u64>) -> String {
    let share = research
        .map(|t| format!(",\"shareWithResearchAsOfDate\":{t}"))
        .unwrap_or_default();
    format!(
        "{{\"customerName\":\"{name} Smith\",\"email\":\"{name}@example.com\",\"phone\":\"555-0100\",\"birthDay\":\"1980-01-01\",\
         \"serialNumber\":\"{serial}\",\"registrationDate\":1655564376361,\"lastUpdateDate\":{updated}{share},\
         \"shareWithFriendsAsOfDate\":null}}"
    )
}

fn accel(user: &str, t: u64) -> String {
    format!("{{\"user\":\"{user}@example.com\",\"timestamp\":{t},\"x\":1.0,\"y\":-1.0,\"z\":0.5}}")
}

fn step(serial: &str, t: u64, d: u32) -> String {
    format!(
        "{{\"sensorReadingTime\":{t},\"serialNumber\":\"{serial}\",\"distanceFromObject\":{d}}}"
    )
}

fn layout(ws: &Workspace) {
    let customers = [
        customer("alice", "S1", 100, Some(50)),
        customer("bob", "S2", 100, None),
        customer("carol", "S3", 100, Some(50)),
        customer("dave", "S4", 100, Some(50)),
        customer("erin", "S4", 100, None), // the website reused dave's serial number
        customer("frank", "S5", 100, Some(50)),
    ];
    ws.write(
        "stedi/customer/landing/c1.json",
        &(customers.join("\n") + "\n"),
    );
    let readings = [
        accel("alice", 1000),
        accel("alice", 2000),
        accel("alice", 1000), // a duplicate record
        accel("bob", 1000),
        "{\"user\":\"dave@example.com\",\"timestamp\":".to_string(), // malformed
        accel("dave", 3000),
        accel("frank", 4000),
    ];
    ws.write(
        "stedi/accelerometer/landing/a1.json",
        &(readings.join("\n") + "\n"),
    );
    let steps = [
        step("S1", 1000, 10),
        step("S1", 2000, 11),
        step("S1", 9000, 12),
        step("S2", 1000, 20),
        step("S4", 3000, 40),
        step("S5", 4000, 50),
        step("S3", 5000, 30),
    ];
    ws.write(
        "stedi/step_trainer/landing/s1.json",
        &(steps.join("\n") + "\n"),
    );
}

#[test]
fn zones_hold_exactly_the_consenting_customers_rows() {
    let ws = Workspace::new();
    layout(&ws);
    let load = ws
        .ingest("stedi", &["stedi", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (20, 18, 1, 1), "{load}");
    assert!(load.stderr.contains("a1.json:5: malformed JSON"), "{load}");
    assert_eq!(
        ws.csv("SELECT split_part(email, '@', 1) AS who FROM stedi_trusted.customer_trusted ORDER BY 1"),
        "who\nalice\ncarol\ndave\nfrank\n"
    );
    assert_eq!(
        ws.csv("SELECT split_part(\"user\", '@', 1) AS who, epoch_ms(\"timestamp\") AS t FROM stedi_trusted.accelerometer_trusted ORDER BY 1, 2"),
        "who,t\nalice,1000\nalice,2000\ndave,3000\nfrank,4000\n"
    );
    assert_eq!(
        ws.csv("SELECT split_part(email, '@', 1) AS who FROM stedi_curated.customer_curated ORDER BY 1"),
        "who\nalice\ndave\nfrank\n"
    );
    assert_eq!(
        ws.csv("SELECT serialNumber, epoch_ms(sensorReadingTime) AS t FROM stedi_trusted.step_trainer_trusted ORDER BY 1, 2"),
        "serialNumber,t\nS1,1000\nS1,2000\nS1,9000\nS5,4000\n"
    );
    assert_eq!(
        ws.csv("SELECT epoch_ms(sensorReadingTime) AS t, serialNumber, distanceFromObject, x, y, z FROM stedi_curated.machine_learning_curated ORDER BY 1"),
        "t,serialNumber,distanceFromObject,x,y,z\n1000,S1,10,1.0,-1.0,0.5\n2000,S1,11,1.0,-1.0,0.5\n4000,S5,50,1.0,-1.0,0.5\n"
    );
    let out = ws.run(&["stedi"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("stedi_zone_counts", stdout(&out));
}

#[test]
fn machine_learning_curated_carries_no_personal_data() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    let columns = ws.csv(
        "SELECT string_agg(column_name, '|' ORDER BY ordinal_position) AS c FROM information_schema.columns
         WHERE table_schema = 'stedi_curated' AND table_name = 'machine_learning_curated'",
    );
    assert_eq!(
        columns,
        "c\nsensorReadingTime|serialNumber|distanceFromObject|x|y|z\n"
    );
}

#[test]
fn withdrawn_consent_removes_the_customer_and_reingestion_changes_nothing() {
    let ws = Workspace::new();
    layout(&ws);
    ws.ingest("stedi", &["stedi", "--max-rejects", "5"]);
    let counts = ws.csv("SELECT * FROM (FROM stedi_landing.customer SELECT count(*)), (FROM stedi_curated.machine_learning_curated SELECT count(*))");
    let load = ws.ingest("stedi", &["stedi", "--max-rejects", "5"]);
    assert_eq!((load.loaded, load.unchanged), (0, 3), "{load}");
    ws.ingest("stedi", &["stedi", "--force", "--max-rejects", "5"])
        .success();
    assert_eq!(ws.csv("SELECT * FROM (FROM stedi_landing.customer SELECT count(*)), (FROM stedi_curated.machine_learning_curated SELECT count(*))"), counts);
    // a newer customer file: frank withdraws consent, alice's record arrives again unchanged
    ws.write(
        "stedi/customer/landing/c2.json",
        &format!(
            "{}\n{}\n",
            customer("frank", "S5", 200, None),
            customer("alice", "S1", 100, Some(50))
        ),
    );
    let load = ws
        .ingest("stedi", &["stedi", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (2, 1, 1, 0), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM stedi_landing.customer"), 7);
    assert_eq!(
        ws.csv("SELECT split_part(email, '@', 1) AS who FROM stedi_curated.customer_curated ORDER BY 1"),
        "who\nalice\ndave\n"
    );
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM stedi_trusted.accelerometer_trusted WHERE \"user\" LIKE 'frank%'"
        ),
        0
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_curated.machine_learning_curated"),
        2
    );
}

#[test]
fn status_shows_the_reused_serial_numbers() {
    let ws = Workspace::new();
    layout(&ws);
    ws.ingest("stedi", &["stedi", "--max-rejects", "5"]);
    assert_eq!(
        ws.csv(
            "SELECT * FROM (FROM stedi_trusted.serial_owners SELECT count(*) FILTER (ambiguous))"
        ),
        "count_star() FILTER (WHERE ambiguous)\n1\n"
    );
    let text = stdout(&ws.run(&["status"]));
    assert!(text.contains("stedi serial numbers"), "{text}");
    // one ambiguous serial (S4), one reading with it; the serial-only join would take 5 readings (S1 x3,
    // S4, S5), the trusted zone takes 4
    assert!(text.contains("ambiguous_serials"), "{text}");
    let figures = text
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["1", "1", "5", "4"]);
    assert!(figures, "{text}");
}

#[test]
fn a_file_outside_the_source_folders_fails_the_run() {
    let ws = Workspace::new();
    ws.write("stedi/other/x.json", &(accel("alice", 1) + "\n"));
    let load = ws.ingest("stedi", &["stedi", "--max-rejects", "5"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr
            .contains("x.json: is not in a customer/, accelerometer/ or step_trainer/ folder"),
        "{load}"
    );
}

#[test]
fn generated_landing_files_flow_through_every_zone() {
    let ws = Workspace::new();
    ws.generate(&[
        "stedi",
        "--customers",
        "2000",
        "--accelerometer",
        "20000",
        "--step-trainer",
        "6000",
        "--output",
        "gen",
    ]);
    ws.ingest("stedi", &["gen"]).success();
    let distinct_customers = ws.count("SELECT count(DISTINCT email) FROM stedi_landing.customer");
    assert_eq!(distinct_customers, 2000);
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_landing.accelerometer"),
        20000
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_landing.step_trainer"),
        6000
    );
    let trusted = ws.count("SELECT count(*) FROM stedi_trusted.customer_trusted");
    assert!(
        trusted > 1000 && trusted < 1400,
        "about 60% consent, less withdrawals: {trusted}"
    );
    let ml = ws.count("SELECT count(*) FROM stedi_curated.machine_learning_curated");
    let steps = ws.count("SELECT count(*) FROM stedi_trusted.step_trainer_trusted");
    assert!(
        ml > 0 && ml == steps,
        "every trusted step reading has its accelerometer twin: {ml} vs {steps}"
    );
    assert!(ws.count("SELECT count(*) FROM stedi_trusted.serial_owners WHERE ambiguous") > 0);
    // nobody who withdrew consent or never gave it reaches the machine-learning table
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM stedi_curated.machine_learning_curated m
             JOIN stedi_trusted.serial_owners o USING (serialNumber)
             WHERE o.customer NOT IN (SELECT lower(email) FROM stedi_trusted.customer_trusted)"
        ),
        0
    );
}

#[test]
fn the_three_source_folders_can_be_given_directly() {
    let ws = Workspace::new();
    layout(&ws);
    let load = ws
        .ingest(
            "stedi",
            &[
                "stedi/customer/landing",
                "stedi/accelerometer/landing",
                "stedi/step_trainer/landing",
                "--max-rejects",
                "5",
            ],
        )
        .success();
    assert_eq!(load.rows(), (20, 18, 1, 1), "{load}");
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_curated.machine_learning_curated"),
        3
    );
}
