"""Every limit convviz puts on what a file, a folder or a typed value may ask of the machine.

Files from strangers are opened (weights, images, labelled folders, model files): each of them is
checked against these numbers *before* anything that size is allocated or read, and a refusal is
one line naming the limit. One declaration per limit; the README's "Limits" section states them.
Sections are kept apart so that each kind of input reads only its own numbers.
"""

from __future__ import annotations

# --- images (imageio, folders) --------------------------------------------------------------

# The raster formats convviz decodes, recognised by their content (never by the file's suffix).
# Every other format is refused before a decoder sees it: Pillow's EPS plugin runs Ghostscript.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
# Largest picture accepted, width x height as its header states it (40 MP: 8000 x 5000, more
# than a phone camera's 12 to 48 MP after JPEG's own 1/2..1/8 reduction). Decoded at full size
# it is at most 4 bytes a pixel (160 MB); it is reduced before anything else is made of it.
IMAGE_MAX_PIXELS = 40_000_000
# Largest image file read at all (some decoders read the whole file into memory first).
IMAGE_MAX_FILE_BYTES = 256 * 1024 * 1024
# A number grid (trace's text INPUT): file size, and rows or numbers a row.
GRID_MAX_FILE_BYTES = 16 * 1024 * 1024
GRID_MAX_SIDE = 1024
# A network taking several channels reads one grid a channel, separated by blank lines: at most
# this many grids, and this many numbers in all (16 MB as float32; a 1024x1024x3 input fits).
GRID_MAX_GRIDS = 64
GRID_MAX_VALUES = 4_000_000

# --- labelled folders -----------------------------------------------------------------------

# Folders inside a class folder, counted from the class folder (0).
FOLDER_MAX_DEPTH = 32
# Files and folders seen while listing (images and skipped files together).
FOLDER_MAX_FILES = 1_000_000
# The decoded images of one folder, (N, size, size) float32: N x size^2 x 4 bytes.
FOLDER_MAX_DECODED_BYTES = 2 * 1024**3

# --- network descriptions and weights files -------------------------------------------------
# Chosen so that every preset and the bundled weights are far inside, and an AlexNet-sized
# teaching network (227x227x3 input, 62 million parameters, 1.4 million layer outputs per image)
# still fits; what lies past them would take gigabytes before anything could be shown.
MAX_PARAMETERS = 100_000_000  # learned numbers in the whole network (400 MB as float32)
MAX_ACTIVATION_VALUES = 4_000_000  # every layer's output for one image, summed (16 MB)
# Training keeps each layer's output and its gradient, and ReLU/pooling their masks: about this
# many times the one-image figure, per image of a batch.
TRAINING_ACTIVATION_FACTOR = 3
MAX_TRAINING_BYTES = 4 * 1024**3  # what one training batch's layer outputs may take
MAX_INPUT_SIZE = 1024  # pixels per side of the (square) input
MAX_INPUT_CHANNELS = 4  # grey, grey + alpha, RGB, RGBA
MAX_LAYERS = 256  # hidden layers in a description (AlexNet has about 20)
MAX_LAYER_NUMBER = 1_000_000  # any one size, stride, padding, features or neurons number
MAX_CLASSES = 10_000
MAX_CLASS_NAME_CHARS = 255  # a folder name is at most 255 bytes on common file systems
MAX_VALUE_MAGNITUDE = 1e6  # both ends of the value range, and every hand-made feature value
MAX_SPEC_JSON_BYTES = 16 * 1024**2  # a network description or one metadata value, as text
MAX_JSON_DEPTH = 32  # nesting of lists and objects (a description needs 6)
MAX_WEIGHTS_HEADER_BYTES = 64 * 1024**2  # safetensors header, .pt pickle, model file metadata
# Tensor types a weights file may hold; all become float32 when read.
WEIGHT_DTYPES = ("float32", "float64", "float16", "bfloat16")

# --- residual blocks (core/layers/residual.py) ----------------------------------------------
# A block may hold blocks: at most this many levels (ResNet's own blocks are one level deep).
MAX_RESIDUAL_DEPTH = 4
# Layers inside one block, its nested blocks' layers included, counted before any is looked at.
MAX_RESIDUAL_LAYERS = 256

# --- sounds (core/wav_read.py, core/sound_input.py) ----------------------------------------
# A WAV file given to a spectrogram network: uncompressed PCM only, its header judged against
# these before any sample is read. The network hears one CLIP_SECONDS clip (sounds_data); a
# minute of recording is plenty to pick the loudest clip from. The longest sound at the highest
# rate is 60 x 192,000 = 11.5 million samples once mixed to one channel (92 MB as float64).
SOUND_MAX_FILE_BYTES = 256 * 1024 * 1024
SOUND_MAX_SECONDS = 60
SOUND_MAX_CHANNELS = 8  # mono, stereo, up to 7.1 surround: mixed to one channel
SOUND_RATE_RANGE = (8_000, 192_000)  # samples a second: telephone to studio
SOUND_PCM_BITS = (8, 16, 24, 32)  # integer samples (8-bit unsigned, the rest signed)
SOUND_FLOAT_BITS = (32, 64)  # IEEE float samples (format tag 3)
# Chunks walked past (LIST, bext, fact, ...) looking for the sound: real files have a handful.
SOUND_MAX_CHUNKS = 1_000

# --- outputs, the trainer's pipe and the window ---------------------------------------------
# Numbers typed on the command line: each is checked before it is used (cli.check_numbers).
SEED_MAX = 2**32 - 1  # numpy's and torch's seeds are unsigned 32-bit
SHAPES_SIZE_RANGE = (5, 512)  # `shapes --size`: a 512x512 drawing is far above any network here
SHAPES_PER_CLASS_MAX = 100_000  # `shapes --per-class`: 600,000 files
# `sounds --rows/--cols`, and any spectrogram made (sounds_data.spectrogram): frequency bands and
# moments. A column's FFT is at most 2 x 512 samples, the whole picture under 1 MB.
SOUNDS_SIZE_RANGE = (4, 512)
SOUNDS_PER_CLASS_MAX = 100_000  # `sounds --per-class`: 400,000 files
EPOCHS_MAX = 100_000
BATCH_SIZE_MAX = 65_536
VAL_SPLIT_MAX = 0.99  # the share of images held back: some must be left to train on
LR_MAX = 10.0  # Adam above this diverges at once; a typo like 3e3 for 3e-3 is said as such
# A run that diverges or is stopped never replaces a file at --out: its weights go next to it,
# NAME.diverged.EXT or NAME.stopped.EXT (cli_train.cmd_train).
# The trainer's pipe: every message is a length-prefixed frame, and none is read past its bound
# (trainer_pipe.read_frame): a job (the network's weights, at most 400 MB by the parameter
# limit, and the labels); the images a job announces (above any labelled folder's decoded
# images); and from the trainer, the job's own weights twice and its labels plus this slack.
PIPE_JOB_MAX_BYTES = 1 << 30
PIPE_IMAGES_MAX_BYTES = 4 << 30
PIPE_SLACK_BYTES = 64 << 20
# The counts of every (true, said) pair are kept as a table up to this many classes (8 MB);
# above it only the validation answers are kept, and the window counts what it shows from them.
CONFUSION_TABLE_MAX_CLASSES = 1_000
# The window: nothing in it grows with the square of the number of classes.
MATRIX_TABLE_MAX_CLASSES = 30  # up to this many a confusion table, one cell per pair; above it
# a picture of the matrix (at most MATRIX_IMAGE_MAX_PX pixels a side) and the top confusions
MATRIX_IMAGE_MAX_PX = 512
TOP_CONFUSIONS = 50
VOTES_MAX_BARS = 12  # the votes chart shows the strongest this many classes of a larger model
NAME_SHOWN_CHARS = 80  # a class name longer than this is cut (with "…") before it is measured
# or drawn; its full text is in the tooltip, up to NAME_TOOLTIP_CHARS
NAME_TOOLTIP_CHARS = 2_000

# --- the training timeline (timeline.py, timeline_file.py) ----------------------------------
# The weights kept while training, to replay afterwards: at most this many bytes of weights
# (320 moments of the `shapes` network, 216 KB each) and this many moments, in memory and in a
# timeline file (NAME.timeline beside the weights file), whose declared size is judged against
# them before anything is read. A network whose weights leave room for fewer than 3 moments
# keeps no timeline.
TIMELINE_MAX_BYTES = 64 * 1024**2
TIMELINE_MAX_MOMENTS = 200
# Moments kept in the first epoch, its end included (most change happens there): evenly spread.
TIMELINE_FIRST_EPOCH_MOMENTS = 8

# --- explanations and "fool it" (explain.py, fool.py) ---------------------------------------
# Occlusion runs the network once per patch position: at most this many positions (a 256x256
# input at patch 1, stride 1), refused before any is made.
EXPLAIN_MAX_POSITIONS = 65_536
# Covered-up copies run in batches whose layer outputs together hold at most this many numbers
# (64 MB as float32), however large the network's input.
EXPLAIN_BATCH_VALUES = 16_000_000
# "Fool it": at most this many gradient steps, and the drawings kept to show them at most this
# many numbers in all (32 MB); past that, every k-th step is kept.
FOOL_MAX_STEPS = 500
FOOL_KEPT_VALUES = 8_000_000

# --- what it learned (top images, feature visualisation) ------------------------------------
# The layer outputs of one batch of images while looking for each feature's top images: the
# batch is sized from the network so that they stay under this (one image at a time if needed).
TOP_IMAGES_BATCH_BYTES = 64 * 1024**2
TOP_IMAGES_BATCH_MAX = 256  # images a batch at most: past this a batch is no faster on a CPU

# --- a person's own model, imported (core/importing) ----------------------------------------
# A model from another tool is opened whole into memory (protobuf reads the whole file), so its
# size is judged before a byte is read: every parameter as float64 plus room for the graph.
# "A few million" learned numbers: LeNet (60 thousand), a class's small CNN or ResNet-18 (11.7
# million) fit; a 25-million VGG or ResNet-50 is refused before any tensor is decoded.
IMPORT_MAX_PARAMETERS = 12_000_000
IMPORT_MAX_FILE_BYTES = 8 * IMPORT_MAX_PARAMETERS + 16 * 1024**2
# Past IMPORT_MAX_PARAMETERS an ONNX model is too large to show live, but its architecture is
# still read (for the architecture view) when its tensors hold the numbers they declare: at most
# what a file of the size above can hold as float32.
IMPORT_ARCHITECTURE_MAX_PARAMETERS = IMPORT_MAX_FILE_BYTES // 4
IMPORT_MAX_NODES = 4 * MAX_LAYERS  # operators in the graph (a layer is 1-3 of them)
IMPORT_MIN_OPSET = 9  # older ONNX files spell several operators differently
# --classes-file: one name a line, at most MAX_CLASSES of them
IMPORT_CLASSES_FILE_MAX_BYTES = MAX_CLASSES * (MAX_CLASS_NAME_CHARS + 1)
