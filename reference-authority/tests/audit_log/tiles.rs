//! The log as C2SP tlog-tiles: widths, paths, and a client that rebuilds the
//! checkpoint's root from tiles alone, written here from the spec.

use super::common::{ORIGIN, event, signer};
use reference_authority::audit_log::tiles::tile_width;
use reference_authority::audit_log::{
    AuditLog, Checkpoint, Hash, LogStorage, TilePath, parse_entry_bundle,
};
use sha2_free::mth;

/// A naive RFC 6962 `MTH` over leaf hashes, independent of the log's tree.
mod sha2_free {
    use reference_authority::audit_log::Hash;
    pub(super) fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash::empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                Hash::node(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }
}

#[test]
fn tile_widths_follow_the_spec_example_of_70000() {
    let s = 70_000;
    assert_eq!(
        (0..273).filter(|n| tile_width(s, 0, *n) == 256).count(),
        273
    );
    assert_eq!(tile_width(s, 0, 273), 112);
    assert_eq!(tile_width(s, 0, 274), 0);
    assert_eq!(tile_width(s, 1, 0), 256);
    assert_eq!(tile_width(s, 1, 1), 17);
    assert_eq!(tile_width(s, 2, 0), 1);
    assert_eq!(tile_width(256, 1, 0), 1);
}

#[test]
fn tile_paths_round_trip_and_refuse_non_canonical_forms() {
    for (text, level, index, width) in [
        ("0/000", Some(0), 0, None),
        ("0/x001/234", Some(0), 1234, None),
        ("63/x001/x234/067.p/255", Some(63), 1_234_067, Some(255)),
        ("entries/005.p/1", None, 5, Some(1)),
    ] {
        let p = TilePath::parse(text).unwrap();
        assert_eq!((p.level, p.index, p.width), (level, index, width), "{text}");
        assert_eq!(p.to_string(), format!("tile/{text}"));
    }
    for bad in [
        "64/000",
        "01/000",
        "0/00",
        "0/0000",
        "0/x000/001",
        "0/001/002",
        "0/001.p/0",
        "0/001.p/256",
        "0/001.p/07",
        "0/abc",
        "0/",
        "entries",
        "0/x001",
        "-1/000",
    ] {
        assert_eq!(TilePath::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_tiles_client_rebuilds_the_checkpoint_root_from_tiles_and_entry_bundles() {
    let log = AuditLog::new(ORIGIN, signer(), LogStorage::in_memory().unwrap()).unwrap();
    let size = 256 * 3 + 17;
    let events: Vec<_> = (0..size).map(event).collect();
    for chunk in events.chunks(100) {
        log.append(Some("shipper"), chunk).unwrap();
    }
    let checkpoint = Checkpoint::open(&log.checkpoint(), &log.verifier(), ORIGIN).unwrap();
    assert_eq!(checkpoint.size, size);
    // Level 0: three full tiles and a partial one of 17.
    let mut leaves = Vec::new();
    for n in 0..4u64 {
        let width = tile_width(size, 0, n);
        let path = TilePath {
            level: Some(0),
            index: n,
            width: (width < 256).then_some(width as u8),
        };
        let tile = log.tile(&path).unwrap();
        assert_eq!(tile.len() as u64, width * 32);
        let hashes: Vec<Hash> = tile
            .chunks(32)
            .map(|c| Hash::from_slice(c).unwrap())
            .collect();
        // The entry bundle hashes to the same leaves.
        let bundle = log
            .tile(&TilePath {
                level: None,
                ..path
            })
            .unwrap();
        let entries = parse_entry_bundle(&bundle).unwrap();
        assert_eq!(entries.len() as u64, width);
        for (entry, hash) in entries.iter().zip(&hashes) {
            assert_eq!(Hash::leaf(entry), *hash);
        }
        leaves.extend(hashes);
    }
    assert_eq!(mth(&leaves), checkpoint.root);
    // Level 1: each hash is the MTH of a full level-0 tile.
    let level1 = log
        .tile(&TilePath {
            level: Some(1),
            index: 0,
            width: Some(3),
        })
        .unwrap();
    for (i, chunk) in level1.chunks(32).enumerate() {
        assert_eq!(
            Hash::from_slice(chunk).unwrap(),
            mth(&leaves[i * 256..(i + 1) * 256])
        );
    }
    // Tiles the tree does not have are not served.
    for missing in [
        TilePath {
            level: Some(0),
            index: 3,
            width: None,
        },
        TilePath {
            level: Some(0),
            index: 3,
            width: Some(18),
        },
        TilePath {
            level: Some(1),
            index: 0,
            width: None,
        },
        TilePath {
            level: Some(0),
            index: 4,
            width: Some(1),
        },
        TilePath {
            level: Some(2),
            index: 0,
            width: Some(1),
        },
    ] {
        assert!(log.tile(&missing).is_err(), "{missing}");
    }
}
