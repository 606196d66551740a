//! `TicketKeys`: sealing, opening, tampering, rotation, persistence.

mod common;

use std::fs;
use std::sync::Arc;

use common::{assert_same, session, TempDir, TestClock};
use session_store::{Session, StoreError, TicketKeys};

const NOW: u64 = 1_700_000_000;
const LIFETIME: u64 = TicketKeys::LIFETIME as u64;
/// key_name, nonce, tag.
const OVERHEAD: usize = 16 + 12 + 16;

/// A session that outlives every key in these tests, so that only key
/// retirement decides whether its ticket opens.
fn long_lived(created_at: u64) -> Session {
    let mut s = session(&[1; 32], created_at);
    s.lifetime = 10 * LIFETIME;
    s
}

#[test]
fn seal_then_open_round_trips() {
    let keys = TicketKeys::new(TestClock::at(NOW).clock()).unwrap();
    let s = session(&[1; 32], NOW);
    let ticket = keys.seal(&s).unwrap();
    assert_same(&s, &keys.open(&ticket).unwrap());
    assert_eq!(keys.lifetime_hint(), TicketKeys::LIFETIME);
}

#[test]
fn tickets_hide_the_state_and_never_repeat() {
    let keys = TicketKeys::new(TestClock::at(NOW).clock()).unwrap();
    let s = session(&[1; 32], NOW);
    let (a, b) = (keys.seal(&s).unwrap(), keys.seal(&s).unwrap());
    assert_eq!(a.len(), OVERHEAD + s.encode().len());
    assert_eq!(a[..16], b[..16], "same key_name");
    assert_ne!(a[16..28], b[16..28], "fresh nonce per ticket");
    assert_ne!(a[28..], b[28..]);
    let secret = s.master_secret().as_bytes();
    assert!(!a.windows(48).any(|w| w == secret));
}

#[test]
fn any_changed_byte_is_refused() {
    let keys = TicketKeys::new(TestClock::at(NOW).clock()).unwrap();
    let ticket = keys.seal(&session(&[1; 32], NOW)).unwrap();
    for i in 0..ticket.len() {
        let mut forged = ticket.clone();
        forged[i] ^= 0x01;
        assert!(keys.open(&forged).is_none(), "byte {i}");
    }
}

#[test]
fn truncated_or_extended_tickets_are_refused() {
    let keys = TicketKeys::new(TestClock::at(NOW).clock()).unwrap();
    let ticket = keys.seal(&session(&[1; 32], NOW)).unwrap();
    for len in 0..ticket.len() {
        assert!(keys.open(&ticket[..len]).is_none(), "prefix {len}");
    }
    let mut longer = ticket.clone();
    longer.push(0);
    assert!(keys.open(&longer).is_none());
}

#[test]
fn another_servers_tickets_are_refused() {
    let clock = TestClock::at(NOW).clock();
    let ours = TicketKeys::new(Arc::clone(&clock)).unwrap();
    let theirs = TicketKeys::new(clock).unwrap();
    let ticket = theirs.seal(&session(&[1; 32], NOW)).unwrap();
    assert!(ours.open(&ticket).is_none());
}

/// A ticket whose session is past its lifetime still opens (its key is
/// still held): the handshake refuses the session, and says why.
#[test]
fn expired_sessions_open_for_the_handshake_to_judge() {
    let clock = TestClock::at(NOW);
    let keys = TicketKeys::new(clock.clock()).unwrap();
    let s = session(&[1; 32], NOW);
    let ticket = keys.seal(&s).unwrap();
    clock.set(NOW + s.lifetime);
    let opened = keys.open(&ticket).expect("its key is held");
    assert!(opened.is_expired(NOW + s.lifetime));
}

#[test]
fn rotated_keys_open_for_one_lifetime_more() {
    let clock = TestClock::at(NOW);
    let keys = TicketKeys::new(clock.clock()).unwrap();
    let old = keys.seal(&long_lived(NOW)).unwrap();

    let rotated_at = NOW + 100;
    clock.set(rotated_at);
    keys.rotate().unwrap();
    let new = keys.seal(&long_lived(rotated_at)).unwrap();
    assert_ne!(old[..16], new[..16], "a new key_name seals");
    assert!(keys.open(&old).is_some(), "the old key still opens");

    clock.set(rotated_at + LIFETIME - 1);
    assert!(keys.open(&old).is_some());
    clock.set(rotated_at + LIFETIME);
    assert!(
        keys.open(&old).is_none(),
        "retired a lifetime after rotation"
    );
    assert!(keys.open(&new).is_some());
}

#[test]
fn oversized_sessions_do_not_fit_a_ticket() {
    let keys = TicketKeys::new(TestClock::at(NOW).clock()).unwrap();
    let mut s = session(&[1; 32], NOW);
    s.peer_certificates = vec![vec![0x30; 70_000]].into();
    assert!(matches!(
        keys.seal(&s),
        Err(StoreError::TicketTooLarge { len }) if len > 0xffff
    ));
}

#[test]
fn keys_persist_across_restarts_and_rotations() {
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    let clock = TestClock::at(NOW);

    let first = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    let before = first.seal(&long_lived(NOW)).unwrap();
    drop(first);

    let second = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    assert!(second.open(&before).is_some(), "tickets survive a restart");
    clock.set(NOW + 10);
    second.rotate().unwrap();
    let after = second.seal(&long_lived(NOW + 10)).unwrap();
    drop(second);

    let third = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    assert!(third.open(&before).is_some(), "the retired key was saved");
    assert!(third.open(&after).is_some(), "the rotation was saved");
    assert_eq!(third.seal(&long_lived(NOW)).unwrap()[..16], after[..16]);

    clock.set(NOW + 10 + LIFETIME);
    let fourth = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    assert!(fourth.open(&before).is_none());
}

#[cfg(unix)]
#[test]
fn the_key_file_is_private_and_must_stay_so() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    TicketKeys::load_or_create(&path, TestClock::at(NOW).clock()).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = TicketKeys::load_or_create(&path, TestClock::at(NOW).clock()).unwrap_err();
    assert!(err.to_string().contains("ticket.keys"), "{err}");
}

#[test]
fn a_corrupt_key_file_is_an_error_not_new_keys() {
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    let clock = TestClock::at(NOW);
    TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    let good = fs::read(&path).unwrap();

    for bad in [&good[..good.len() - 1], &[2u8][..], &[][..]] {
        fs::write(&path, bad).unwrap();
        let err = TicketKeys::load_or_create(&path, clock.clock()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("ticket.keys"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), bad, "the file was left alone");
    }
}

#[test]
fn debug_does_not_print_keys() {
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    let keys = TicketKeys::load_or_create(&path, TestClock::at(NOW).clock()).unwrap();
    let file = fs::read(&path).unwrap();
    // format_version, uint16 length, then key_name[16], aes_key[32].
    let aes_key = &file[1 + 2 + 16..1 + 2 + 16 + 32];
    let printed = format!("{keys:?}");
    assert!(printed.contains("<redacted>"));
    assert!(!printed.contains(&hex::encode(aes_key)));
    let as_list = format!("{:?}", &aes_key[..4]);
    assert!(!printed.contains(as_list.trim_matches(['[', ']'])));
}

#[test]
fn sealing_and_opening_while_rotating() {
    let keys = Arc::new(TicketKeys::new(TestClock::at(NOW).clock()).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let keys = Arc::clone(&keys);
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let s = session(&[1; 32], NOW);
                    let ticket = keys.seal(&s).unwrap();
                    assert_same(&s, &keys.open(&ticket).unwrap());
                }
            })
        })
        .collect();
    for _ in 0..20 {
        keys.rotate().unwrap();
    }
    for w in workers {
        w.join().unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_of_another_user_or_behind_a_symlink_is_refused() {
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    let clock = || TestClock::at(NOW).clock();
    TicketKeys::load_or_create(&path, clock()).unwrap();
    std::os::unix::fs::chown(&path, Some(4242), None)
        .unwrap_or_else(|e| panic!("chown (run the tests as root): {e}"));
    let message = TicketKeys::load_or_create(&path, clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains("ticket.keys"), "{message}");
    assert!(message.contains("owner uid 4242"), "{message}");
    assert!(message.contains("mode 0600"), "{message}");

    let link = tmp.path().join("link.keys");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let message = TicketKeys::load_or_create(&link, clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains("symbolic link"), "{message}");
}

/// RFC 5077 §5.5: "The keys should be changed regularly." A schedule kept
/// in the key file: a restart neither resets it nor loses a rotation, and
/// tickets sealed before a rotation open until they expire.
#[test]
fn scheduled_rotation_keeps_its_schedule_across_restarts() {
    const EVERY: u64 = 3600;
    let tmp = TempDir::new();
    let path = tmp.path().join("ticket.keys");
    let clock = TestClock::at(NOW);
    let keys = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    let old = keys.seal(&long_lived(NOW)).unwrap();
    clock.set(NOW + EVERY - 1);
    assert_eq!(keys.next_rotation_in(EVERY), 1);
    assert!(!keys.rotate_if_older_than(EVERY).unwrap());
    drop(keys);

    // Restarted past the due time: the first call rotates, once.
    clock.set(NOW + EVERY + 5);
    let keys = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    assert_eq!(keys.next_rotation_in(EVERY), 0);
    assert!(keys.rotate_if_older_than(EVERY).unwrap());
    assert!(!keys.rotate_if_older_than(EVERY).unwrap());
    let new = keys.seal(&long_lived(NOW)).unwrap();
    assert_ne!(new[..16], old[..16], "a new key seals");
    drop(keys);

    // Restarted again soon after: the rotation was saved, and the schedule
    // counts from it.
    clock.set(NOW + EVERY + 65);
    let keys = TicketKeys::load_or_create(&path, clock.clock()).unwrap();
    assert_eq!(keys.next_rotation_in(EVERY), EVERY - 60);
    assert!(!keys.rotate_if_older_than(EVERY).unwrap());
    assert_eq!(keys.seal(&long_lived(NOW)).unwrap()[..16], new[..16]);
    assert!(keys.open(&old).is_some(), "the previous key still opens");

    // Until the previous key's last ticket has expired.
    clock.set(NOW + EVERY + 5 + LIFETIME);
    assert!(keys.open(&old).is_none());
}
