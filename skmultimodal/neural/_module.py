"""The PyTorch fusion network of Yap et al. (2018)."""

import torch
from torch import nn

from .._frame import IMAGE_MODALITIES
from ._augment import DeviceAugmentation


class FusionHead(nn.Sequential):
    """The embedding network and the classifier on the fused feature vector.

    ``Linear -> ReLU (-> Dropout)`` per width of ``embedding_dims``, then a
    linear layer to the class logits; with ``embedding_dims=()`` the features
    go straight to that last layer.

    Parameters
    ----------
    n_inputs : int
        Width of the fused feature vector.
    embedding_dims : tuple of int
        Widths of the hidden layers.
    n_classes : int
        Number of classes.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    See Also
    --------
    FusionNet : the whole network, towers included.

    Examples
    --------
    >>> import torch
    >>> from skmultimodal.neural import FusionHead
    >>> head = FusionHead(2 * 2048 + 12, (1024, 1024), n_classes=5)
    >>> head
    FusionHead(
      (0): Linear(in_features=4108, out_features=1024, bias=True)
      (1): ReLU(inplace=True)
      (2): Linear(in_features=1024, out_features=1024, bias=True)
      (3): ReLU(inplace=True)
      (4): Linear(in_features=1024, out_features=5, bias=True)
    )
    >>> head(torch.zeros(3, 4108)).shape
    torch.Size([3, 5])
    """

    def __init__(self, n_inputs, embedding_dims, n_classes, dropout=0.0):
        layers = []
        for width in embedding_dims:
            layers += [nn.Linear(n_inputs, width), nn.ReLU(inplace=True)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            n_inputs = width
        layers.append(nn.Linear(n_inputs, n_classes))
        super().__init__(*layers)


class FusionNet(nn.Module):
    """Image towers, late fusion with metadata, embedding network, logits.

    Each image modality goes through its own tower (or one shared tower);
    the towers' feature vectors and the encoded metadata are concatenated and
    fed to a :class:`FusionHead`. Images arrive as uint8 tensors straight
    from the image store; scaling, training-time augmentation and
    normalisation happen here, on the device.

    A modality listed in ``optional_modalities`` may be absent from some
    lesions: its place in the fused vector is then taken by a learned
    stand-in vector, and a presence flag per optional modality tells the head
    what it did not see. Towers run only on the images that are there, so a
    batch in which half the lesions lack the clinical image costs half the
    clinical tower's work.

    Parameters
    ----------
    towers : dict of str to torch.nn.Module
        One tower per image modality (``"dermoscopic"``, ``"clinical"``); the
        same module under both names shares its weights.
    n_tower_features : int
        Width of each tower's feature vector.
    n_metadata : int
        Width of the encoded metadata vector, 0 without metadata.
    embedding_dims : tuple of int
        Widths of the embedding network's hidden layers.
    n_classes : int
        Number of classes.
    normalization : tuple of (tuple, tuple)
        Channel mean and standard deviation of the towers' weights.
    augment : bool, default=True
        Augment images in training mode.
    dropout : float, default=0.0
        Dropout in the embedding network.
    channels_last : bool, default=False
        Feed the towers channels-last tensors (faster convolutions on CUDA).
    freeze_towers : bool, default=False
        Keep the towers' weights fixed and their batch normalisation in
        evaluation mode; only the head trains, and it can be fed
        precomputed tower features.
    optional_modalities : tuple of str, default=()
        Modalities (``"dermoscopic"``, ``"clinical"``, ``"metadata"``) that
        lesions may lack, each with a learned stand-in and a presence flag.

    See Also
    --------
    build_tower : a torchvision model as a tower.
    skmultimodal.MultimodalLesionClassifier : builds and trains this network.

    Examples
    --------
    A dermoscopic tower (a tiny convolutional network here; usually
    :func:`build_tower`) fused with 4 metadata features:

    >>> import torch
    >>> from torch import nn
    >>> from skmultimodal.neural import FusionNet
    >>> tower = nn.Sequential(nn.Conv2d(3, 8, 3), nn.AdaptiveAvgPool2d(1),
    ...                       nn.Flatten())
    >>> imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    >>> net = FusionNet({"dermoscopic": tower}, 8, 4, (16,), 5, imagenet)
    >>> images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    >>> logits = net.eval()(dermoscopic=images, metadata=torch.zeros(2, 4))
    >>> logits.shape
    torch.Size([2, 5])

    With the dermoscopic image optional, a lesion without one passes no
    image, only its presence flag:

    >>> net = FusionNet({"dermoscopic": tower}, 8, 4, (16,), 5, imagenet,
    ...                 optional_modalities=("dermoscopic",))
    >>> present = torch.tensor([True, False, True])
    >>> net.eval()(dermoscopic=images, dermoscopic_present=present,
    ...            metadata=torch.zeros(3, 4)).shape
    torch.Size([3, 5])
    """

    def __init__(
        self,
        towers,
        n_tower_features,
        n_metadata,
        embedding_dims,
        n_classes,
        normalization,
        augment=True,
        dropout=0.0,
        channels_last=False,
        freeze_towers=False,
        optional_modalities=(),
    ):
        super().__init__()
        self.image_modalities = tuple(m for m in IMAGE_MODALITIES if m in towers)
        distinct = {id(t) for t in towers.values()}
        if len(distinct) < len(towers):
            self.towers = nn.ModuleDict({"shared": next(iter(towers.values()))})
            self.tower_names = {m: "shared" for m in self.image_modalities}
        else:
            self.towers = nn.ModuleDict(towers)
            self.tower_names = {m: m for m in self.image_modalities}
        self.n_metadata = n_metadata
        mean, std = normalization
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1) * 255.0)
        self.augmentation = DeviceAugmentation() if augment else None
        self.channels_last = channels_last
        self.freeze_towers = freeze_towers
        if freeze_towers:
            self.towers.requires_grad_(False)
            self.towers.eval()
        used = self.image_modalities + (("metadata",) if n_metadata else ())
        unknown = [m for m in optional_modalities if m not in used]
        if unknown:
            raise ValueError(
                f"optional_modalities {unknown} are not inputs of this net, whose "
                f"inputs are {list(used)}."
            )
        self.optional_modalities = tuple(m for m in used if m in optional_modalities)
        # Zero stand-ins start where standardised metadata and pooled features
        # sit on average; training moves them to what best stands for "absent".
        widths = {m: n_tower_features for m in self.image_modalities}
        widths["metadata"] = n_metadata
        self.stand_ins = nn.ParameterDict(
            {m: nn.Parameter(torch.zeros(widths[m])) for m in self.optional_modalities}
        )
        n_inputs = (
            n_tower_features * len(self.image_modalities)
            + n_metadata
            + len(self.optional_modalities)
        )
        self.head = FusionHead(n_inputs, tuple(embedding_dims), n_classes, dropout)

    def train(self, mode=True):
        """Set training mode; frozen towers stay in evaluation mode."""
        super().train(mode)
        if self.freeze_towers:
            self.towers.eval()
        return self

    def image_features(self, modality, images, augment=None, draws=None):
        """Tower features of a batch of uint8 images of one modality.

        Parameters
        ----------
        modality : {"dermoscopic", "clinical"}
            Which tower to run.
        images : torch.Tensor of shape (n_images, 3, height, width)
            uint8 images, on the module's device.
        augment : bool, default=None
            Apply the training-time augmentation first; ``None`` follows the
            module's training mode.
        draws : torch.Tensor of shape (n_images, 10), default=None
            The augmentation's random numbers per image (see
            :meth:`DeviceAugmentation.augment`); ``None`` draws them.

        Returns
        -------
        features : torch.Tensor of shape (n_images, n_tower_features)
        """
        if augment is None:
            augment = self.training
        images = images.float()
        if augment and self.augmentation is not None:
            images = self.augmentation.augment(images / 255.0, draws) * 255.0
        images = (images - self.mean) / self.std
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        tower = self.towers[self.tower_names[modality]]
        if tower.training and images.shape[0] == 1:
            # Batch normalisation cannot take batch statistics from a single
            # image (a lesion alone in its batch with this modality); it uses
            # its running statistics for that step instead.
            tower.eval()
            try:
                return tower(images)
            finally:
                tower.train()
        return tower(images)

    def forward(
        self,
        dermoscopic=None,
        clinical=None,
        metadata=None,
        dermoscopic_features=None,
        clinical_features=None,
        dermoscopic_present=None,
        clinical_present=None,
        metadata_present=None,
    ):
        """Class logits for a batch of lesions.

        Each image modality comes as uint8 images (``dermoscopic``,
        ``clinical``) or as tower features computed beforehand
        (``dermoscopic_features``, ``clinical_features``, as frozen towers
        use them). With a presence mask, images and features are given for
        the lesions whose mask is true only, in batch order.

        Parameters
        ----------
        dermoscopic, clinical : torch.Tensor of shape (n_present, 3, height, width), default=None
            uint8 images of that modality.
        metadata : torch.Tensor of shape (n, n_metadata), default=None
            Encoded metadata; required when the net was built with metadata.
        dermoscopic_features, clinical_features : torch.Tensor of shape \
(n_present, n_tower_features), default=None
            Tower features computed beforehand, used instead of the images.
        dermoscopic_present, clinical_present, metadata_present : torch.Tensor \
of shape (n,), default=None
            Which lesions of the batch have that modality (bool); ``None``
            means all of them. Only optional modalities may be absent.

        Returns
        -------
        logits : torch.Tensor of shape (n, n_classes)

        Raises
        ------
        ValueError
            If a modality the net uses has neither images nor features, or
            is absent from a lesion without being optional.
        """
        images = {"dermoscopic": dermoscopic, "clinical": clinical}
        given = {"dermoscopic": dermoscopic_features, "clinical": clinical_features}
        present = {
            "dermoscopic": dermoscopic_present,
            "clinical": clinical_present,
            "metadata": metadata_present,
        }
        n = self._batch_size(images, given, metadata, present)
        fused = []
        for modality in self.image_modalities:
            mask = self._check_present(modality, present[modality])
            if given[modality] is not None:
                features = given[modality]
            elif images[modality] is not None:
                features = (
                    None if len(images[modality]) == 0
                    else self.image_features(modality, images[modality])
                )
            else:
                raise ValueError(f"This net needs {modality} images or features.")
            fused.append(self._fill_absent(modality, features, mask, n))
        if self.n_metadata:
            if metadata is None:
                raise ValueError("This net needs the encoded metadata.")
            mask = self._check_present("metadata", present["metadata"])
            fused.append(
                metadata if mask is None
                else self._fill_absent("metadata", metadata[mask], mask, n)
            )
        for modality in self.optional_modalities:
            mask = present[modality]
            flag = torch.ones(n, 1) if mask is None else mask.view(n, 1)
            fused.append(flag.to(fused[0].device, torch.float32))
        return self.head(torch.cat(fused, dim=1))

    @staticmethod
    def _batch_size(images, given, metadata, present):
        for mask in present.values():
            if mask is not None:
                return len(mask)
        for tensor in (*given.values(), *images.values(), metadata):
            if tensor is not None:
                return len(tensor)
        raise ValueError("The batch has no input at all.")

    def _check_present(self, modality, mask):
        """The presence mask, or None when every lesion has the modality."""
        if mask is None or bool(mask.all()):
            return None
        if modality not in self.optional_modalities:
            raise ValueError(
                f"Some lesions of the batch lack the {modality} input, which this "
                f"net was not built to do without (optional modalities: "
                f"{list(self.optional_modalities)})."
            )
        return mask

    def _fill_absent(self, modality, features, mask, n):
        """Features of the whole batch: the lesions' own, or the stand-in."""
        if mask is None:
            return features
        stand_in = self.stand_ins[modality]
        dtype = stand_in.dtype if features is None else features.dtype
        filled = stand_in.to(dtype).unsqueeze(0).repeat(n, 1)
        if features is not None:
            filled[mask] = features
        return filled
