package socket

import (
	"context"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
)

// ChangeSeqs tells a user's latest task change sequence number (0 before the first
// change), so that a resuming client can be told whether it missed changes.
type ChangeSeqs interface {
	LatestChangeSeq(ctx context.Context, userID uuid.UUID) (int64, error)
}

// MeshChangeSeqs asks api's TaskInternalService, through the mesh.
type MeshChangeSeqs struct {
	Client internalv1connect.TaskInternalServiceClient
}

// LatestChangeSeq implements ChangeSeqs; it returns the call's error, wrapped.
func (m MeshChangeSeqs) LatestChangeSeq(ctx context.Context, userID uuid.UUID) (int64, error) {
	res, err := m.Client.GetChangeSeq(ctx, connect.NewRequest(&internalv1.GetChangeSeqRequest{UserId: userID.String()}))
	if err != nil {
		return 0, fmt.Errorf("get change seq of user %s: %w", userID, err)
	}
	return res.Msg.GetChangeSeq(), nil
}
