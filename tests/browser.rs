//! The demo's page in a real browser: `cargo run --example demo -- --html
//! FILE`, loaded by headless Chromium (Debian package `chromium`; tests/run.sh
//! installs it). The DOM Chromium builds must hold one sequence diagram per
//! connection and a sessions view with as many sessions as the demo's own
//! table in chapter 7 lists; the screenshot must show a drawn page, not a
//! blank one.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::Duration;

use common::{chromium, ChildGuard, ScratchDir};

/// The demo takes well under a second; this allows for a busy machine.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One row of the demo's table "7. Connections × sessions".
#[derive(Debug)]
struct Row {
    conn: String,
    /// Shortened session id.
    session: String,
    /// Fingerprints of the master secret and of the key block.
    master: String,
    keys: String,
}

fn table_rows(stdout: &str) -> Vec<Row> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("7. "))
        .skip(2) // the heading and the column names
        .take_while(|l| !l.trim_start().starts_with('('))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let [conn, _port, session, _how, _handshakes, master, keys] = cols[..] else {
                return None;
            };
            Some(Row {
                conn: conn.into(),
                session: session.into(),
                master: master.into(),
                keys: keys.into(),
            })
        })
        .collect()
}

/// How often `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The value of `name="…"` in the first tag containing `marker`.
fn attribute(dom: &str, marker: &str, name: &str) -> String {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let tag = &dom[at..at + dom[at..].find('>').unwrap()];
    let key = format!("{name}=\"");
    let start = tag.find(&key).unwrap() + key.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

/// Pixels of each colour in a decoded RGB(A) screenshot.
fn colours(png_file: &std::path::Path) -> (HashMap<[u8; 3], usize>, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(png_file).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    assert!(step >= 3, "an RGB screenshot, not {:?}", info.color_type);
    let mut seen = HashMap::new();
    for px in buf[..info.buffer_size()].chunks(step) {
        *seen.entry([px[0], px[1], px[2]]).or_insert(0) += 1;
    }
    (seen, (info.width * info.height) as usize)
}

#[test]
fn the_demo_page_draws_every_connection_and_session_in_chromium() {
    chromium::require();
    let dir = ScratchDir::new("browser");
    let page = dir.join("demo.html");
    let mut demo = ChildGuard::spawn(
        Command::new(common::example_binary("demo"))
            .arg("--html")
            .arg(&page),
    );
    let out = demo.finish(TIMEOUT);
    assert!(out.status.success(), "the demo failed: {out:#?}");
    let rows = table_rows(&out.stdout);
    assert!(rows.len() >= 8, "the demo's table: {rows:?}");
    let mut sessions: HashSet<&str> = rows.iter().map(|r| r.session.as_str()).collect();
    // Chapter 9 adds C9 and C10 (after the table), sharing one new session.
    let farm_session = out
        .stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("C9 on server A (port "))
        .and_then(|l| l.split_once("full session "))
        .map(|(_, s)| s.trim())
        .expect("chapter 9's C9");
    assert!(sessions.insert(farm_session), "a new session in chapter 9");
    // Chapter 11 adds C11 to C14: two new TLS sessions (C11's, which C13
    // and C14 resume, and C12's).
    let login_sessions: HashSet<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("  app: "))
        .filter_map(|l| l.split_once(" session "))
        .filter_map(|(_, s)| s.split_whitespace().next())
        .collect();
    assert_eq!(login_sessions.len(), 2, "chapter 11's sessions");
    sessions.extend(login_sessions);
    // Chapter 12 adds C15 to C17: a session, and the one made after it
    // expired.
    let lifetime_sessions: HashSet<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(" session ") && l.trim_start().starts_with("C1"))
        .filter(|l| l.contains(" at ") || l.contains(" after "))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(lifetime_sessions.len(), 2, "chapter 12's sessions");
    sessions.extend(lifetime_sessions);
    let connections = rows.len() + 2 + 4 + 3;

    let dom = chromium::dump_dom(&page);
    assert!(dom.contains("<h1>tls12 demo: connections and sessions</h1>"));
    // The answer first: the connections × sessions table comes before
    // the first chapter; every heading appears once; chapter 8 draws its
    // costs as bars; a suite name wraps only after an underscore.
    let first_chapter = dom.find("<section class=\"chapter\"").unwrap();
    assert!(dom.find("<section class=\"sessions\"").unwrap() < first_chapter);
    let headings: Vec<&str> = dom
        .split("<h2>")
        .skip(1)
        .filter_map(|h| h.split_once("</h2>").map(|(t, _)| t))
        .collect();
    let unique: HashSet<&&str> = headings.iter().collect();
    assert_eq!(unique.len(), headings.len(), "{headings:#?}");
    assert_eq!(count(&dom, "<div class=\"bar\""), 2, "chapter 8's two bars");
    assert!(
        dom.contains("TLS_<wbr>ECDHE_<wbr>"),
        "suite names wrap at underscores"
    );
    // Chapter 12's C17: the refusal of the expired session, by name.
    assert!(
        dom.contains("session not resumed: the session expired"),
        "chapter 12's refusal on the page"
    );
    assert_eq!(
        count(&dom, "<svg class=\"sequence\""),
        connections,
        "one diagram per connection of the demo"
    );
    for name in ["C9", "C10"] {
        assert!(
            dom.contains(&format!("<h3>{name} <small>")),
            "{name}'s section"
        );
    }
    for row in &rows {
        assert!(
            dom.contains(&format!("<h3>{} <small>", row.conn)),
            "{row:?}: its section"
        );
        // The page and the terminal show the same fingerprints.
        assert!(
            dom.contains(&format!("master_secret {}", row.master)),
            "{row:?}"
        );
        assert!(dom.contains(&format!("key_block {}", row.keys)), "{row:?}");
    }
    let view = "<section class=\"sessions\"";
    assert_eq!(
        attribute(&dom, view, "data-sessions"),
        sessions.len().to_string()
    );
    let view_dom = &dom[dom.find(view).unwrap()..];
    assert_eq!(count(view_dom, "<th class=\"session\""), sessions.len());
    assert_eq!(count(view_dom, "<tr data-connection="), connections);

    marking_works(&dir, &std::fs::read_to_string(&page).unwrap());

    let shot = dir.join("demo.png");
    chromium::screenshot(&page, &shot, 1200, 1600);
    let (colours, pixels) = colours(&shot);
    let white = colours.get(&[255, 255, 255]).copied().unwrap_or(0);
    assert!(
        colours.len() > 50,
        "a drawn page has many colours, not {}",
        colours.len()
    );
    assert!(
        white < pixels * 97 / 100,
        "the screenshot is (almost) blank: {white} of {pixels} pixels white"
    );
}

/// The page's own script, driven by synthetic events: pointing at the
/// first message's `client_version` row marks its bytes in the hex, and a
/// click on the bytes of `random` pins its row.
fn marking_works(dir: &ScratchDir, page: &str) {
    let driver = "<script>\
        var m = document.querySelector('article.msg');\
        m.querySelector('tr[data-f=\"3\"]').dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));\
        m.querySelector('.hex span[data-f=\"4\"]').dispatchEvent(new MouseEvent('click', {bubbles: true}));\
        </script></body>";
    let driven = dir.join("driven.html");
    std::fs::write(&driven, page.replace("</body>", driver)).unwrap();
    let dom = chromium::dump_dom(&driven);
    let first = &dom[dom.find("<article class=\"msg\"").unwrap()..];
    let first = &first[..first.find("</article>").unwrap()];
    let tag = |start: &str| {
        let at = first.find(start).unwrap_or_else(|| panic!("no {start}"));
        first[at..at + first[at..].find('>').unwrap()].to_string()
    };
    assert!(
        tag("<span data-f=\"3\"").contains("class=\"on\""),
        "{}",
        tag("<span data-f=\"3\"")
    );
    assert!(tag("<tr data-f=\"3\"").contains("class=\"on\""));
    assert!(
        tag("<tr data-f=\"4\"").contains("class=\"pin\""),
        "{}",
        tag("<tr data-f=\"4\"")
    );
    assert!(tag("<span data-f=\"4\"").contains("class=\"pin\""));
    assert!(
        !tag("<span data-f=\"5\"").contains("class="),
        "only the field pointed at"
    );
}
