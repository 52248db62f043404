//! MAESTRO file and layer-CSV readers.

use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, LayerType, SimError, layer_csv, maestro_file};

const XP_NET: &str = "
// two layers in MAESTRO's own style (note the missing comma, as in its model zoo)
Constant KT 1;
Network tiny {
\tLayer conv3x3 {
\t\tType: CONV
\t\tStride { X: 1, Y: 1 }
\t\tDimensions { K: 64, C: 64 R: 3, S: 3, Y: 56, X: 56 }
\t\tDataflow {
\t\t\tTemporalMap (KT,KT) K;
\t\t\tTemporalMap (1,1) C;
\t\t\tTemporalMap (Sz(R),1) Y;
\t\t\tSpatialMap (Sz(S),1) X;
\t\t\tTemporalMap (Sz(R),Sz(R)) R;
\t\t\tTemporalMap (Sz(S),Sz(S)) S;
\t\t}
\t}
\tLayer mm {
\t\tType: GEMM
\t\tDimensions { K: 100, M: 100, N: 100 }
\t\tDataflow {
\t\t\tTemporalMap(1,1) N;
\t\t\tSpatialMap(1,1) M;
\t\t\tTemporalMap(100,100) K;
\t\t\tCluster(100, P);
\t\t\tTemporalMap(1,1) N;
\t\t\tTemporalMap(1,1) M;
\t\t\tSpatialMap(1,1) K;
\t\t}
\t}
}
";

#[test]
fn a_maestro_mapping_file_gives_maestros_numbers() {
    let net = maestro_file::parse_mapping(XP_NET, "tiny.m").unwrap();
    assert_eq!(net.name, "tiny");
    assert_eq!(net.layers.len(), 2);
    let conv = &net.layers[0];
    let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
    let acc = Accel::new(hw.clone(), Dataflow::Custom(conv.dataflow.clone().unwrap()));
    // Worked example C of SPEC.md: X-P on this layer is 1,990,658 cycles.
    assert_eq!(acc.evaluate_layer(&conv.layer).unwrap().cycles, 1_990_658);
    assert_eq!(acc.dataflow, Dataflow::Custom(Dataflow::XP.mapping_for(64, false)));

    let mm = &net.layers[1];
    assert_eq!(mm.layer.kind, LayerType::Gemm);
    assert_eq!(mm.layer.macs(), 1_000_000);
    let hw128 = HardwareConfig::new(128, 300, 50).build().unwrap();
    let c = Accel::new(hw128, Dataflow::Custom(mm.dataflow.clone().unwrap())).evaluate_layer(&mm.layer).unwrap();
    assert!(c.cycles > 0);
}

#[test]
fn parse_errors_carry_line_and_column() {
    let text = "Network n {\n  Layer l {\n    Type: CONV\n    Dimensions { K: 8, Q: 3 }\n  }\n}\n";
    match maestro_file::parse_mapping(text, "bad.m").unwrap_err() {
        SimError::Parse { file, line, column, message } => {
            assert_eq!((file.as_str(), line, column), ("bad.m", 4, 24), "{message}");
            assert!(message.contains("`Q`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err =
        maestro_file::parse_mapping("Network n {\n Layer l {\n  Dataflow { SpatialMap(1,1) K }", "m").unwrap_err();
    assert!(err.to_string().starts_with("m:3:32: expected `;`"), "{err}");
    let err = maestro_file::parse_mapping("Network n { Layer l { Type: CONV", "eof.m").unwrap_err();
    assert!(err.to_string().contains("end of file"), "{err}");
    assert!(maestro_file::parse_mapping("", "empty.m").is_err());
    assert!(
        maestro_file::parse_mapping("Network n { Layer l { Type: CONV } } @", "x.m")
            .unwrap_err()
            .to_string()
            .contains("`@`")
    );
}

#[test]
fn a_bare_dataflow_file_is_read() {
    let text = "Dataflow {\n SpatialMap(1,1) C;\n TemporalMap(Sz(R),1) Y;\n TemporalMap(Sz(S),1) X;\n TemporalMap(Sz(R),Sz(R)) R;\n TemporalMap(Sz(S),Sz(S)) S;\n}\n";
    let net = maestro_file::parse_mapping(text, "dpt.m").unwrap();
    assert_eq!(net.dataflow.unwrap(), edgeopt_accel_sim::depthwise_template());
}

#[test]
fn hardware_files() {
    let hw = maestro_file::parse_hardware(
        "NumPEs: 128\nL1Size: 512\nL2Size: 4096\nNoC_BW: 64\nOffChip_BW: 32\nNoC_NumHops: 2\n",
        "hw.m",
    )
    .unwrap();
    assert_eq!(
        (hw.num_pes, hw.l1_bytes, hw.l2_bytes, hw.noc_bw, hw.offchip_bw, hw.noc_hops),
        (128, 512, 4096, 64, 32, 2)
    );
    let err = maestro_file::parse_hardware("NumPEs: 128\nFrequency: 3\n", "hw.m").unwrap_err().to_string();
    assert!(err.starts_with("hw.m:2:1") && err.contains("Frequency"), "{err}");
    let err = maestro_file::parse_hardware("NumPEs: 0\n", "hw.m").unwrap().build().unwrap_err().to_string();
    assert!(err.contains("num_pes"), "{err}");
}

#[test]
fn layer_csv_round_trip_and_errors() {
    let text = "name,type,k,c,r,s,y,x,stride,groups\nc1,CONV,32,3,3,3,226,226,2,1\ng,NGCONV,4,4,3,3,58,58,1,32\nfc,FC,10,64,1,1,1,1,1,\n";
    let layers = layer_csv::parse(text, "net.csv").unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[1].groups, 32);
    assert_eq!(layer_csv::parse(&layer_csv::to_csv(&layers), "rt.csv").unwrap(), layers);
    // An optional batch column (written by to_csv) repeats the layer.
    let batched = layer_csv::parse("name,type,k,c,r,s,y,x,stride,batch\nb,CONV,8,8,3,3,9,9,1,4\n", "b.csv").unwrap();
    assert_eq!((batched[0].batch, batched[0].macs()), (4, 4 * 8 * 8 * 9 * 49));
    assert_eq!(layer_csv::parse(&layer_csv::to_csv(&batched), "rt.csv").unwrap(), batched);

    let cases = [
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,2,2,1\n", "row 1", "R = 3"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,9,9,1\nd,POOL,8,8,3,3,9,9,1\n", "row 2", "POOL"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,-1,3,3,9,9,1\n", "row 1", "invalid digit"),
        ("name,type,k,c,r,s,y,x,stride\nc,CONV,8,NaN,3,3,9,9,1\n", "row 1", "invalid"),
        ("name,type,k,c\nc,CONV,8,8\n", "row 1", "missing field"),
        ("name,type,k,c,r,s,y,x,stride\n", "row 0", "no layers"),
    ];
    for (text, row, what) in cases {
        let err = layer_csv::parse(text, "bad.csv").unwrap_err().to_string();
        assert!(err.starts_with("bad.csv: ") && err.contains(row) && err.contains(what), "{err}");
    }
}
