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
    let rejects = ws.count("SELECT count(*) FROM stedi_landing.rejected");
    assert!(rejects > 0);
    // read again: every line is a duplicate, of a row or of a reject already kept
    let forced = ws.ingest("stedi", &["stedi", "--force"]).success();
    assert_eq!((forced.rows().1, forced.rows().3), (0, 0), "{forced}");
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_landing.rejected"),
        rejects
    );
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

/// The reader types plain readings itself (src/datasets/stedi.rs); every other line is parsed by SQL.
/// Both must land the same rows with the same values and reject the same lines with the same reasons:
/// the same files are loaded with the typer and without it (`EXERCISE_TYPED_LINES=off`).
#[test]
fn readings_typed_by_the_reader_land_exactly_as_sql_would_type_them() {
    let accelerometer = [
        r#"{"user":"a@x.org","timestamp":1655564376361,"x":-0.727,"y":0,"z":12.5}"#,
        r#"{"user":"a@x.org","timestamp":1655564376361,"x":-0.727,"y":0,"z":12.5}"#, // a repeat
        r#"{"user":"a@x.org","timestamp":1655564376361,"x":-0.7270,"y":0.0,"z":12.50}"#, // the same values
        r#" { "user" : "ü@x.org" , "z":-0.0, "timestamp":-2208988800000,"y":1,"x":2 } "#,
        r#"{"user":"","timestamp":7258118399999,"x":12345678901234567,"y":0.30000000000000004,"z":1}"#,
        r#"{"user":"b@x.org","timestamp":7258118400000,"x":1,"y":2,"z":3}"#, // after 2199
        r#"{"user":"b@x.org","timestamp":-2208988800001,"x":1,"y":2,"z":3}"#, // before 1900
        r#"{"user":"b@x.org","timestamp":1655564376361.0,"x":1,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":"1655564376362","x":1,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376363,"x":1e2,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376364,"x":0.1000000000000000000001,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376365,"x":1,"y":2,"z":3,"extra":[1]}"#,
        r#"{"user":"b@x.org","timestamp":1655564376366,"x":1,"y":2,"z":3,"x":4}"#,
        r#"{"user":"b\u0040x.org","timestamp":1655564376367,"x":1,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376368,"x":null,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376369,"x":"1","y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376370,"y":2,"z":3}"#,
        r#"{"user":7,"timestamp":1655564376371,"x":1,"y":2,"z":3}"#,
        r#"{"user":"b@x.org","timestamp":1655564376372,"x":1,"y":2,"z":3} trailing"#,
        r#"{"user":"b@x.org","timestamp":16555643763730000000,"x":1,"y":2,"z":3}"#,
        r#"{"sensorReadingTime":1655564376361,"serialNumber":"S1","distanceFromObject":1}"#, // wrong folder
        r#"[1,2]"#,
        r#"{"user":"c@x.org","timestamp":1655564376380,"x":-0,"y":0,"z":-0.0}"#,
        r#"{"user":"c@x.org","timestamp":1655564376381,"x":-0.0,"y":-0,"z":0}"#,
        // a millisecond beyond the plausible years each way: rejected, with the line's text
        r#"{"user":"c@x.org","timestamp":7258118400000,"x":1,"y":2,"z":3}"#,
        r#"{"user":"c@x.org","timestamp":-2208988800001,"x":1,"y":2,"z":3}"#,
        // one record, typed by SQL (the escape) and then by the reader, and the other way round
        r#"{"user":"d\u0040x.org","timestamp":1655564376390,"x":1,"y":2,"z":3}"#,
        r#"{"user":"d@x.org","timestamp":1655564376390,"x":1,"y":2,"z":3}"#,
        r#"{"user":"d@x.org","timestamp":1655564376391,"x":1,"y":2,"z":3}"#,
        r#"{"user":"d\u0040x.org","timestamp":1655564376391,"x":1,"y":2,"z":3}"#,
    ];
    let step_trainer = [
        r#"{"sensorReadingTime":1655564376361,"serialNumber":"S1","distanceFromObject":257}"#,
        r#"{"sensorReadingTime":1655564376361,"serialNumber":"S1","distanceFromObject":257}"#,
        r#"{"distanceFromObject":-3,"serialNumber":"S2","sensorReadingTime":1655564376361}"#,
        r#"{"sensorReadingTime":1655564376362,"serialNumber":"S1","distanceFromObject":2147483648}"#,
        r#"{"sensorReadingTime":1655564376363,"serialNumber":"S1","distanceFromObject":2147483647}"#,
        r#"{"sensorReadingTime":1655564376364,"serialNumber":"S1","distanceFromObject":2.5}"#,
        r#"{"sensorReadingTime":1655564376365,"serialNumber":"S1","distanceFromObject":2.0}"#,
        r#"{"sensorReadingTime":99,"serialNumber":"S1","distanceFromObject":2}"#,
        r#"{"sensorReadingTime":1655564376366,"serialNumber":null,"distanceFromObject":2}"#,
        r#"{"user":"a@x.org","timestamp":1655564376361,"x":1,"y":2,"z":3}"#, // wrong folder
        r#"{"sensorReadingTime":1655564376390,"serialNumber":"S\u0031","distanceFromObject":5}"#,
        r#"{"sensorReadingTime":1655564376390,"serialNumber":"S1","distanceFromObject":5}"#,
    ];
    let load = |typed: &str| {
        let ws = Workspace::new();
        ws.write(
            "stedi/customer/c.json",
            &(customer("alice", "S1", 100, Some(50)) + "\n"),
        );
        ws.write("stedi/accelerometer/a1.json", &accelerometer.join("\n"));
        ws.write(
            "stedi/accelerometer/a2.json",
            &(accelerometer[..3].join("\r\n") + "\r\n"),
        );
        ws.write("stedi/step_trainer/s1.json", &step_trainer.join("\n"));
        let tables = [
            "SELECT * FROM stedi_landing.accelerometer ORDER BY ALL",
            "SELECT * FROM stedi_landing.step_trainer ORDER BY ALL",
            "SELECT * EXCLUDE (rejected_at, source_file) FROM stedi_landing.rejected ORDER BY ALL",
        ];
        let args = ["--dataset", "stedi", "stedi", "--max-rejects", "100"];
        ws.ingest_typed(typed, &args, &tables)
    };
    let (typed_summary, typed) = load("on");
    let (sql_summary, by_sql) = load("off");
    assert_eq!(typed, by_sql);
    // the summaries' counts (each file's row, without the temporary folder's name)
    let counts = |s: &str| {
        s.lines()
            .filter(|l| !l.contains(" in "))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&typed_summary), counts(&sql_summary));
    // the typed rows are there, with their values (the second file's three repeat the first's)
    assert!(
        typed[0].contains("ü@x.org,1900-01-01T00:00:00,2.0,1.0,-0.0"),
        "{}",
        typed[0]
    );
    assert!(
        typed[0].contains(",2199-12-31T23:59:59.999,1.2345678901234568e16,0.30000000000000004,1.0"),
        "{}",
        typed[0]
    );
    assert!(typed[1].contains("S1,2147483647"), "{}", typed[1]);
    // a record SQL typed and the same record the reader typed land once, at the first line
    assert_eq!(typed[0].matches("d@x.org,").count(), 2, "{}", typed[0]);
    assert_eq!(typed[1].matches(",S1,5,").count(), 1, "{}", typed[1]);
    assert!(
        typed[2].contains("distanceFromObject is not an integer: 2147483648"),
        "{}",
        typed[2]
    );
    assert!(
        typed[2].contains(
            "timestamp is not whole epoch milliseconds of the years 1900-2199: 7258118400000"
        ),
        "{}",
        typed[2]
    );
}

/// Most readings go straight from the reader into their landing table; those it leaves (not plain,
/// malformed) are read again for SQL. Across two loads, a record that landed before is a duplicate,
/// and within a load each record's first line wins, whichever of the two typed it; the same with the
/// reader's typing off.
#[test]
fn readings_that_went_straight_in_and_those_sql_typed_keep_the_first_occurrence_across_loads() {
    let escaped = |user: &str, t: u64| accel(user, t).replace('@', "\\u0040");
    let run = |typed: &str| {
        let ws = Workspace::new();
        ws.write(
            "stedi/customer/c1.json",
            &(customer("alice", "S1", 100, Some(50)) + "\n"),
        );
        ws.write(
            "stedi/accelerometer/a1.json",
            &[accel("alice", 1000), accel("alice", 2000)].join("\n"),
        );
        ws.write("stedi/step_trainer/s1.json", &step("S1", 1000, 10));
        let args = ["--dataset", "stedi", "stedi", "--max-rejects", "10"];
        let (first, _) = ws.ingest_typed(typed, &args, &[]);
        let second_files = [
            accel("alice", 1000),     // landed in the first load
            escaped("alice", 2000),   // the same, typed by SQL
            accel("bob", 5000),       // new
            escaped("bob", 6000),     // new, typed by SQL, and first
            accel("bob", 6000),       // a later line of the same record
            accel("bob", 5000),       // a later line of a record of this load
            "{\"user\":".to_string(), // malformed
        ];
        ws.write("stedi/accelerometer/a2.json", &second_files.join("\n"));
        ws.write(
            "stedi/step_trainer/s2.json",
            &[
                step("S1", 1000, 10),
                step("S2", 7000, 3),
                step("S2", 7000, 3),
            ]
            .join("\n"),
        );
        let tables = [
            "SELECT * FROM stedi_landing.accelerometer ORDER BY ALL",
            "SELECT * FROM stedi_landing.step_trainer ORDER BY ALL",
            "SELECT * EXCLUDE (rejected_at, source_file) FROM stedi_landing.rejected ORDER BY ALL",
        ];
        let (second, landed) = ws.ingest_typed(typed, &args, &tables);
        (first, second, landed)
    };
    let (first, second, typed) = run("on");
    let (_, _, by_sql) = run("off");
    assert_eq!(typed, by_sql);
    assert!(
        first.contains("read 4 = inserted 4 + duplicates 0 + rejected 0"),
        "{first}"
    );
    assert!(
        second.contains("read 10 = inserted 3 + duplicates 6 + rejected 1"),
        "{second}"
    );
    let a2 = second
        .lines()
        .find(|l| l.contains("a2.json"))
        .expect(&second);
    assert_eq!(
        a2.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["7", "2", "4", "1"],
        "{second}"
    );
    // bob's 6000 landed once, from the line SQL typed (line 4), and his 5000 from line 3
    let accelerometer = &typed[0];
    assert_eq!(
        accelerometer.matches("bob@example.com").count(),
        2,
        "{accelerometer}"
    );
    assert!(
        accelerometer.contains("bob@example.com,1970-01-01T00:00:06,1.0,-1.0,0.5,"),
        "{accelerometer}"
    );
    let bob = |t: &str| {
        accelerometer
            .lines()
            .find(|l| l.contains("bob") && l.contains(t))
            .map(|l| l.rsplit(',').next().unwrap().to_string())
    };
    assert_eq!(bob("00:00:05").as_deref(), Some("3"), "{accelerometer}");
    assert_eq!(bob("00:00:06").as_deref(), Some("4"), "{accelerometer}");
    assert_eq!(typed[1].matches("S2,3").count(), 1, "{}", typed[1]);
    assert!(
        typed[2].contains(",7,\"{\"\"user\"\":\",malformed JSON"),
        "{}",
        typed[2]
    );
}

/// A readings file none of whose lines parses fails the run, naming it, as any other file; one with
/// some readings the reader took and the rest malformed loads, the rest rejected.
#[test]
fn a_readings_file_of_which_no_line_parses_fails_the_run() {
    let ws = Workspace::new();
    ws.write("stedi/accelerometer/a1.json", &accel("alice", 1000));
    ws.write("stedi/accelerometer/bad.json", "not json\n{\"user\":\n");
    let load = ws.ingest("stedi", &["stedi", "--max-rejects", "5"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr
            .contains("bad.json: is not newline-delimited JSON: none of its 2 lines parses"),
        "{load}"
    );
    ws.write(
        "stedi/accelerometer/bad.json",
        &format!("not json\n{}\n{{\"user\":\n", accel("bob", 2000)),
    );
    let load = ws
        .ingest("stedi", &["stedi", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (4, 2, 0, 2), "{load}");
}

/// Customers the reader judges whole go straight into their landing table (CustomerTyper); the others,
/// and the later lines of a record, are typed by SQL and weighed against them. Both paths land the same
/// rows with the same values and provenance, and reject the same lines, within a load and across two
/// (`EXERCISE_TYPED_LINES=off` sends every line to SQL).
#[test]
fn customers_typed_by_the_reader_land_exactly_as_sql_would_type_them() {
    let c = |fields: &str| format!("{{{fields}}}");
    let base = |name: &str| {
        format!(
            r#""customerName":"{name}","email":"{name}@x.org","phone":"555","birthDay":"1980-01-01","serialNumber":"S-{name}","registrationDate":1655564376361,"lastUpdateDate":1655564376362"#
        )
    };
    let first_file = [
        c(&base("alice")),
        c(&base("alice")), // a repeat: the reader leaves it to SQL, a duplicate
        c(&base("carol").replace("carol@", "carol\\u0040")), // SQL types it (an escape)...
        c(&base("carol")), // ...and it came first: this line is the duplicate
        c(&base("dan").replace(":1655564376362", r#":"1655564376362""#)), // a time as a string
        c(&base("dan")),
        c(&base("erin").replace(r#""erin@x.org""#, "null")), // missing email
        c(&base("fay").replace(r#","lastUpdateDate":1655564376362"#, "")), // missing lastUpdateDate
        c(&base("gus").replace("1980-01-01", "1980-02-30")),
        c(&base("hal").replace("1980-01-01", "0999-01-01")),
        c(&base("ivy").replace("1655564376361", "7258118400000")), // registered after 2199
        c(&base("jo").replace(r#""jo""#, "5")),                    // a number for a name
        c(&(base("kim") + r#","extra":1"#)),
        c(&(base("lee") + r#","phone":"556""#)), // a key twice
        c(
            r#""customerName":null,"email":"max@x.org","phone":null,"birthDay":null,"serialNumber":null,"registrationDate":null,"lastUpdateDate":1655564376362,"shareWithResearchAsOfDate":1655564376363,"shareWithPublicAsOfDate":null"#,
        ),
        c(&base("ned").replace(":1655564376362", ":1655564376362.0")),
        c(&base("ned")),
        "{\"email\":".to_string(),
    ];
    let run = |typed: &str| {
        let ws = Workspace::new();
        ws.write("stedi/customer/c1.json", &first_file.join("\n"));
        ws.write(
            "stedi/customer/c2.json",
            &[c(&base("alice")), c(&base("olga")), c(&base("max"))].join("\n"),
        );
        ws.write("stedi/accelerometer/a1.json", &accel("alice", 1000));
        let args = ["--dataset", "stedi", "stedi", "--max-rejects", "10"];
        let tables = [
            "SELECT * FROM stedi_landing.customer ORDER BY ALL",
            "SELECT * EXCLUDE (rejected_at, source_file) FROM stedi_landing.rejected ORDER BY ALL",
        ];
        let (first, _) = ws.ingest_typed(typed, &args, &tables);
        ws.write(
            "stedi/customer/c3.json",
            &[c(&base("alice")), c(&base("pia")), c(&base("pia"))].join("\n"),
        );
        let (second, landed) = ws.ingest_typed(typed, &args, &tables);
        (first, second, landed)
    };
    let (first, second, typed) = run("on");
    let (first_sql, second_sql, by_sql) = run("off");
    assert_eq!(typed, by_sql);
    let counts = |s: &str| {
        s.lines()
            .filter(|l| l.contains(".json") || l.starts_with("read "))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&first), counts(&first_sql));
    assert_eq!(counts(&second), counts(&second_sql));
    assert!(
        first.contains("read 22 = inserted 11 + duplicates 5 + rejected 6"),
        "{first}"
    );
    assert!(
        second.contains("read 3 = inserted 1 + duplicates 2 + rejected 0"),
        "{second}"
    );
    let customers = &typed[0];
    let line_of = |email: &str| {
        let rows: Vec<&str> = customers.lines().filter(|l| l.contains(email)).collect();
        assert_eq!(rows.len(), 1, "{email}: {customers}");
        rows[0].rsplit(',').next().unwrap().to_string()
    };
    // the first line of each record, whichever path typed it
    assert_eq!(line_of("alice@x.org"), "1");
    assert_eq!(line_of("carol@x.org"), "3");
    assert_eq!(line_of("dan@x.org"), "5");
    assert_eq!(line_of("ned@x.org"), "16");
    assert!(customers.contains("5,jo@x.org,"), "{customers}");
    assert!(
        customers.contains("hal,hal@x.org,555,0999-01-01,"),
        "{customers}"
    );
    assert!(
        customers.contains(",max@x.org,,,,,2022-06-18T14:59:36.362,2022-06-18T14:59:36.363,,,"),
        "{customers}"
    );
    for reason in [
        "missing email",
        "missing lastUpdateDate",
        "birthDay is not a date (YYYY-MM-DD): 1980-02-30",
        "registrationDate is not whole epoch milliseconds of the years 1900-2199: 7258118400000",
        "duplicated key phone",
    ] {
        assert!(typed[1].contains(reason), "{reason}: {}", typed[1]);
    }
}

/// A birthday is a day written YYYY-MM-DD (1980-1-2 is that day too), stored as sent: not a word the cast
/// knows ('epoch', 'infinity'), not a time of day the cast would drop, not a five-digit year. The reader's
/// fast path and SQL agree.
#[test]
fn a_birthday_is_stored_as_the_day_sent_or_rejected() {
    let line = |name: &str, birthday: &str| {
        format!(
            r#"{{"customerName":"{name}","email":"{name}@x.org","birthDay":"{birthday}","lastUpdateDate":1655564376362}}"#
        )
    };
    let file = [
        line("a", "1980-01-01"),
        line("b", "0999-12-31"),
        line("c", "epoch"),
        line("d", "1980-01-01 12:00:00"),
        line("e", "infinity"),
        line("f", "99999-01-01"),
        line("g", "1980-01-01T00:00:00+05"),
        line("h", "1980-1-2"),
    ];
    for typed in ["on", "off"] {
        let ws = Workspace::new();
        ws.write("stedi/customer/c.json", &file.join("\n"));
        let args = ["--dataset", "stedi", "stedi", "--max-rejects", "5"];
        let tables = [
            "SELECT email, birthDay FROM stedi_landing.customer ORDER BY 1",
            "SELECT line_number, reason FROM stedi_landing.rejected ORDER BY 1",
        ];
        let (out, landed) = ws.ingest_typed(typed, &args, &tables);
        assert!(
            out.contains("read 8 = inserted 3 + duplicates 0 + rejected 5"),
            "{typed}: {out}"
        );
        assert_eq!(
            landed[0],
            "email,birthDay\na@x.org,1980-01-01\nb@x.org,0999-12-31\nh@x.org,1980-01-02\n",
            "{typed}"
        );
        assert_eq!(
            landed[1],
            "line_number,reason\n\
             3,birthDay is not a date (YYYY-MM-DD): epoch\n\
             4,birthDay is not a date (YYYY-MM-DD): 1980-01-01 12:00:00\n\
             5,birthDay is not a date (YYYY-MM-DD): infinity\n\
             6,birthDay is not a date (YYYY-MM-DD): 99999-01-01\n\
             7,birthDay is not a date (YYYY-MM-DD): 1980-01-01T00:00:00+05\n",
            "{typed}"
        );
    }
}
