// two layers, a constant, a GEMM and a cluster
Constant KT 1;
Network tiny {
	Layer conv3x3 {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 64, C: 64 R: 3, S: 3, Y: 56, X: 56 }
		Dataflow {
			TemporalMap (KT,KT) K;
			TemporalMap (1,1) C;
			TemporalMap (Sz(R),1) Y;
			SpatialMap (Sz(S),1) X;
			TemporalMap (Sz(R),Sz(R)) R;
			TemporalMap (Sz(S),Sz(S)) S;
		}
	}
	Layer mm {
		Type: GEMM
		Dimensions { K: 100, M: 100, N: 100 }
		Dataflow {
			TemporalMap(1,1) N;
			SpatialMap(1,1) M;
			TemporalMap(100,100) K;
			Cluster(100, P);
			TemporalMap(1,1) N;
			TemporalMap(1,1) M;
			SpatialMap(1,1) K;
		}
	}
}
